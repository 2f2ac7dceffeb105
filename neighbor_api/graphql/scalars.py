"""Scalars whose definitions differ from strawberry's built-in ones."""

from __future__ import annotations

import dataclasses
import datetime

from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

# strawberry's DateTime (ISO 8601 in, `isoformat` out), with the spec it follows: RFC 3339
# with an offset, as the contract says (`@specifiedBy` in the SDL).
DATE_TIME = dataclasses.replace(
    DateTimeDefinition,
    description="A date and time with its UTC offset (RFC 3339), e.g. "
    "2026-12-01T18:00:00+08:00; UTC on output.",
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime.datetime: DATE_TIME}
