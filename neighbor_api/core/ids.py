"""Object ids. Clients see opaque Relay global ids (built in the GraphQL layer); the domain
works with MongoDB ObjectIds and never trusts a client string to be one."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId


def parse_object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
