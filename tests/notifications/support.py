"""Helpers of the notification tests: the demo street (reports, boards, councils helpers), the
notifications written for one event, and the contract's documents (copied verbatim)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.notifications.repository import NOTIFICATIONS
from tests.boards.support import Boards
from tests.conftest import OPERATIONS, Api
from tests.councils.support import Hall
from tests.reports.support import Street, object_id

# The contract's subscription, as clients send it.
NOTIFICATION_RECEIVED = {
    "query": OPERATIONS["NotificationReceived"],
    "operationName": "NotificationReceived",
}


@dataclass
class World:
    api: Api
    deps: Deps
    hall: Hall
    street: Street
    boards: Boards

    @classmethod
    async def open(cls, api: Api, deps: Deps) -> World:
        hall = await Hall.open(api, deps)
        street = await Street.open(api, deps)
        return cls(api, deps, hall, street, Boards(street))

    async def user(self, phone: str) -> ObjectId:
        return object_id(await self.street.user_id(phone), "User")

    async def written(self, kind: str, subject_id: ObjectId) -> list[dict[str, Any]]:
        """The notifications written for the latest event of `kind` about `subject_id`."""
        event = await self.deps.db["events"].find_one(
            {"kind": kind, "subject_id": subject_id}, sort=[("at", -1), ("_id", -1)]
        )
        assert event is not None, (kind, subject_id)
        return await self.deps.db[NOTIFICATIONS].find({"event_id": event["_id"]}).to_list()

    async def feed(self, phone: str, **variables: Any) -> dict[str, Any]:
        result = await self.api.op("Notifications", variables, token=await self.street.token(phone))
        assert result.errors is None, result.errors
        assert result.data is not None
        feed: dict[str, Any] = result.data["notifications"]
        return feed

    async def mark_read(self, phone: str, **values: Any) -> dict[str, Any]:
        result = await self.api.op(
            "MarkNotificationsRead", {"input": values}, token=await self.street.token(phone)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        payload: dict[str, Any] = result.data["markNotificationsRead"]
        return payload
