"""Object ids. Clients see opaque Relay global ids (built in the GraphQL layer); the domain
works with MongoDB ObjectIds and never trusts a client string to be one."""

from __future__ import annotations

import base64
import os

from bson import ObjectId
from bson.errors import InvalidId


def parse_object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def new_request_id() -> str:
    """The id of one request: in its response's X-Request-Id and in the log of its failures."""
    return os.urandom(8).hex()  # 16 hex digits, as uuid4().hex[:16] (a third of its cost)


def global_id(type_name: str, object_id: ObjectId) -> str:
    """The Relay global id clients know an object by (`graphql/relay.py`'s, strawberry's:
    base64 of "Type:id"), for messages sent outside GraphQL (push payloads)."""
    return base64.b64encode(f"{type_name}:{object_id}".encode()).decode()
