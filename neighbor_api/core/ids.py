"""Object ids. Clients see opaque Relay global ids (built in the GraphQL layer); the domain
works with MongoDB ObjectIds and never trusts a client string to be one."""

from __future__ import annotations

import uuid

from bson import ObjectId
from bson.errors import InvalidId


def parse_object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def new_request_id() -> str:
    """The id of one request: in its response's X-Request-Id and in the log of its failures."""
    return uuid.uuid4().hex[:16]
