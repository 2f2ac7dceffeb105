"""The 爱心超市 (love supermarket): a community's rewards bought with points, and redemptions.

A reward has a cost in points and a stock; a redemption takes one unit and the points in one
transaction, and is PENDING (待领取, with a pickup code) until staff hand the goods over
(FULFILLED) or it is called off (CANCELLED, the points refunded exactly once).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import Field

from neighbor_api.core.idempotency import Idempotency
from neighbor_api.core.models import StoredModel


class Reward(StoredModel):
    community_id: ObjectId
    place_path: list[ObjectId] = Field(default_factory=list)
    name: str
    description: str | None = None
    cost: int
    stock: int
    retired: bool = False
    created_by: ObjectId | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RedemptionStatus(StrEnum):
    PENDING = "PENDING"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


class Redemption(StoredModel):
    reward_id: ObjectId
    community_id: ObjectId
    place_path: list[ObjectId] = Field(default_factory=list)
    user_id: ObjectId
    # What it cost and was called when redeemed (the reward may change afterwards).
    cost: int
    reward_name: str
    status: RedemptionStatus = RedemptionStatus.PENDING
    pickup_code: str
    idempotency: Idempotency | None = None
    created_at: datetime
    fulfilled_at: datetime | None = None
    fulfilled_by: ObjectId | None = None
    cancelled_at: datetime | None = None
    cancelled_by: ObjectId | None = None
    cancel_reason: str | None = None
