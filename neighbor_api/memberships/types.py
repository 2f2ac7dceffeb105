"""GraphQL types of memberships."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.file_uploads import Upload

from neighbor_api.context import Info
from neighbor_api.core.policy import Role, can_see_membership
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import node_type
from neighbor_api.memberships import service
from neighbor_api.memberships.models import Membership, MembershipStatus
from neighbor_api.places.types import PlaceType

if TYPE_CHECKING:
    from neighbor_api.accounts.types import UserType

graphql_enum(
    Role,
    "What a membership lets its holder do, on its place and below.",
    {
        Role.RESIDENT: (
            "Lives in the community: reports, comments, votes where eligible, volunteers."
        ),
        Role.COUNCIL_MEMBER: "Sits on the community's councils; may also put tasks on its boards.",
        Role.GRID_WORKER: (
            "Serves a grid: files reports for residents, works the reports assigned to them."
        ),
        Role.COMMUNITY_WORKER: (
            "Community staff: handles reports, decides memberships, runs boards and votes."
        ),
        Role.ADMIN: "Staff of a street, district or city: covers every community under it.",
    },
)
graphql_enum(
    MembershipStatus,
    "Where a membership stands.",
    {
        MembershipStatus.PENDING: "Asked to join; the community's staff have not decided yet.",
        MembershipStatus.ACTIVE: "Approved: its roles apply.",
        MembershipStatus.REJECTED: "Declined by the community's staff.",
        MembershipStatus.LEFT: "Ended: the member left the place.",
    },
)


@node_type
@strawberry.type(
    name="Membership",
    description="A user's standing in a place: a resident of a community, a worker, an admin.",
)
class MembershipType(relay.Node):
    id: relay.NodeID[str]
    status: MembershipStatus = strawberry.field(description="Pending, active, ...")
    roles: list[Role] = strawberry.field(description="The roles held on the place.")
    address: str | None = strawberry.field(description="The member's address in the community.")
    household_code: str | None = strawberry.field(description="The household (户) code.")
    household_confirmed: bool = strawberry.field(
        description="Whether the community's staff confirmed the household code: only a "
        "confirmed code counts for household votes."
    )
    owned_floor_area: float | None = strawberry.field(
        description="Floor area owned, in m², from the owners' register (null: not an owner)."
    )
    reason: str | None = strawberry.field(description="Why the request was decided so.")
    created_at: datetime = strawberry.field(description="When it was asked for or granted.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    model: strawberry.Private[Membership]

    @classmethod
    def from_model(cls, membership: Membership) -> MembershipType:
        return cls(
            id=str(membership.id),
            status=membership.status,
            roles=list(membership.roles),
            address=membership.address,
            household_code=membership.household_code,
            household_confirmed=membership.household_confirmed,
            owned_floor_area=membership.owned_floor_area,
            reason=membership.reason,
            created_at=membership.created_at,
            decided_at=membership.decided_at,
            model=membership,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> MembershipType | None:
        membership = await info.context.loaders.membership.load(object_id)
        if membership is None or not can_see_membership(
            await info.context.actor(), membership.user_id, membership.place_path
        ):
            return None
        return cls.from_model(membership)

    @strawberry.field(description="The member.")
    async def user(
        self, info: Info
    ) -> Annotated[UserType, strawberry.lazy("neighbor_api.accounts.types")] | None:
        from neighbor_api.accounts.types import UserType

        user = await info.context.loaders.user.load(self.model.user_id)
        # Seen as this membership's holder: the community's staff may need to call them.
        return UserType.from_model(user, service.member_need(self.model)) if user else None

    @strawberry.field(description="The place the roles are held on.")
    async def place(self, info: Info) -> PlaceType | None:
        return await PlaceType.load(info, self.model.place_id)

    @strawberry.field(description="The community (null for admins of a street, district, city).")
    async def community(self, info: Info) -> PlaceType | None:
        community_id = self.model.community_id
        return await PlaceType.load(info, community_id) if community_id else None

    @strawberry.field(description="The grid a grid worker looks after, or the member's grid.")
    async def grid(self, info: Info) -> PlaceType | None:
        grid_id = self.model.grid_id
        return await PlaceType.load(info, grid_id) if grid_id else None

    @strawberry.field(description="The building the member lives in.")
    async def building(self, info: Info) -> PlaceType | None:
        building_id = self.model.building_id
        return await PlaceType.load(info, building_id) if building_id else None


@strawberry.input(description="Ask to join a community.")
class JoinCommunityInput:
    community_id: strawberry.ID = strawberry.field(description="The community to join.")
    address: str = strawberry.field(description="Your address there, e.g. 金安里 12 号 302 室.")
    household_code: str | None = strawberry.field(
        default=None, description="Your household (户) code, shared by its members."
    )


@strawberry.input(description="Approve or reject a request to join (community workers).")
class DecideMembershipInput:
    membership_id: strawberry.ID = strawberry.field(description="The pending membership.")
    approve: bool = strawberry.field(description="True to approve, false to reject.")
    roles: list[Role] | None = strawberry.field(
        default=None, description="Roles to grant on approval (default RESIDENT)."
    )
    reason: str | None = strawberry.field(default=None, description="Why, shown to the user.")
    owned_floor_area: float | None = strawberry.field(
        default=None, description="m² owned, from the owners' register; above 0 makes an owner."
    )
    household_confirmed: bool = strawberry.field(
        default=False,
        description="Staff checked the household code the applicant gave: it then counts for "
        "household votes (else it does not until confirmed with updateMembership).",
    )


@strawberry.input(description="Leave a community (a resident moves away), or withdraw a request.")
class LeaveCommunityInput:
    membership_id: strawberry.ID = strawberry.field(
        description="Your pending or active membership."
    )


@strawberry.input(
    description="Community staff correct an active membership; a field left out is unchanged. "
    "Every change is audited with its old and new value."
)
class UpdateMembershipInput:
    membership_id: strawberry.ID = strawberry.field(description="The active membership.")
    roles: list[Role] | None = strawberry.field(default=None, description="The roles held.")
    address: str | None = strawberry.field(default=None, description="The member's address.")
    household_code: str | None = strawberry.field(
        default=None,
        description="The household (户) code, confirmed by setting it (empty: no household).",
    )
    owned_floor_area: float | None = strawberry.field(
        default=None, description="m² owned, from the owners' register (0: not an owner)."
    )
    building_id: strawberry.ID | None = strawberry.field(
        default=None, description="The building (sets its grid too)."
    )
    grid_id: strawberry.ID | None = strawberry.field(default=None, description="The grid.")


@strawberry.input(
    description="Import a community's owners' register (业主名册) from a CSV upload: a header "
    "row household_code,phone,floor_area (or 户号,手机号,面积), then a row per household. All or "
    "nothing: every bad row is reported and nothing is imported."
)
class ImportOwnersRegisterInput:
    community_id: strawberry.ID = strawberry.field(description="The community.")
    file: Upload = strawberry.field(description="The CSV file (UTF-8, at most 1 MB).")
    dry_run: bool = strawberry.field(
        default=False, description="Check every row and report, without importing anything."
    )


@strawberry.type(description="The result of importOwnersRegister.")
class ImportOwnersRegisterPayload(Payload):
    rows: int | None = strawberry.field(default=None, description="Rows read.")
    imported: int | None = strawberry.field(
        default=None, description="Memberships changed (0 on a dry run)."
    )
    dry_run: bool | None = strawberry.field(default=None, description="Whether it was a dry run.")


@strawberry.type(description="The result of leaveCommunity.")
class LeaveCommunityPayload(Payload):
    membership: MembershipType | None = strawberry.field(
        default=None, description="The membership, now LEFT."
    )


@strawberry.type(description="The result of updateMembership.")
class UpdateMembershipPayload(Payload):
    membership: MembershipType | None = strawberry.field(
        default=None, description="The membership as changed."
    )


@strawberry.type(description="The result of joinCommunity.")
class JoinCommunityPayload(Payload):
    membership: MembershipType | None = strawberry.field(
        default=None, description="The pending membership."
    )


@strawberry.type(description="The result of decideMembership.")
class DecideMembershipPayload(Payload):
    membership: MembershipType | None = strawberry.field(
        default=None, description="The decided membership."
    )
