"""Domain enums made GraphQL enums, each value with its description (the SDL documents them)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=Enum)


def graphql_enum(enum: type[E], description: str, values: Mapping[E, str]) -> type[E]:
    """Register `enum` with strawberry, describing it and every one of its values."""
    missing = [member.name for member in enum if member not in values]
    if missing:
        raise ValueError(f"{enum.__name__}: describe {', '.join(missing)}")
    strawberry.enum(enum, description=description)
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[enum[value.name]]
    return enum
