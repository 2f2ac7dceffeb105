"""Memberships: a user's standing in a place, with the roles it gives them there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import Field

from neighbor_api.core.models import StoredModel
from neighbor_api.core.policy import Grant, Role


class MembershipStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    LEFT = "LEFT"


# A user holds at most one open (pending or active) membership per place.
OPEN_STATUSES = frozenset({MembershipStatus.PENDING, MembershipStatus.ACTIVE})


class Membership(StoredModel):
    user_id: ObjectId
    # The place the roles are held on: a community for residents and community staff, a
    # street, district or city for admins above.
    place_id: ObjectId
    place_path: list[ObjectId]
    # The community this membership is in (None for admins above community level).
    community_id: ObjectId | None = None
    # The grid a GRID_WORKER looks after, or the grid of a resident's building.
    grid_id: ObjectId | None = None
    # The building (PlaceLevel.BUILDING, under a grid) the member lives in.
    building_id: ObjectId | None = None
    status: MembershipStatus
    roles: list[Role] = Field(default_factory=list)
    address: str | None = None
    household_code: str | None = None
    # Whether the community's staff confirmed the household code (at approval or with
    # updateMembership): only a confirmed code makes its holder one of a household's electors.
    household_confirmed: bool = False
    # Floor area in m² from the owners' register; above 0 makes the member a property owner.
    owned_floor_area: float | None = None
    # Present (True) while the membership is open: a unique partial index on
    # (user_id, place_id) where open is True allows one open membership per place.
    open: bool | None = True
    reason: str | None = None
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: ObjectId | None = None
    left_at: datetime | None = None

    @property
    def household(self) -> str | None:
        """The household code that counts (confirmed by staff), if any."""
        return self.household_code if self.household_confirmed else None

    def grant(self) -> Grant | None:
        if self.status is not MembershipStatus.ACTIVE:
            return None
        return Grant(place_id=self.place_id, roles=frozenset(self.roles), grid_id=self.grid_id)
