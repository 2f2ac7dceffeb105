"""Joining communities and the join-request queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry

from neighbor_api.accounts import service as accounts
from neighbor_api.context import Info
from neighbor_api.core.policy import Role
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import (
    Connection,
    input_id,
    optional_input_id,
    page_under,
)
from neighbor_api.memberships import service
from neighbor_api.memberships.models import Membership, MembershipStatus
from neighbor_api.memberships.types import (
    DecideMembershipInput,
    DecideMembershipPayload,
    ImportOwnersRegisterInput,
    ImportOwnersRegisterPayload,
    JoinCommunityInput,
    JoinCommunityPayload,
    LeaveCommunityInput,
    LeaveCommunityPayload,
    MembershipType,
    UpdateMembershipInput,
    UpdateMembershipPayload,
)

P = TypeVar("P")


def _with_membership(payload: Callable[..., P]) -> Callable[[Membership], P]:
    """The shape of the payloads that answer the membership a mutation changed."""
    return lambda membership: payload(membership=MembershipType.from_model(membership))


@strawberry.type
class MembershipQuery:
    @strawberry.field(
        description="A community's memberships, oldest first; `status: PENDING` is the queue of "
        "join requests, `status: ACTIVE, role: GRID_WORKER` its grid workers (whom to assign "
        "to). For the community's staff (null for anyone else)."
    )
    async def memberships(
        self,
        info: Info,
        community_id: strawberry.ID,
        status: MembershipStatus | None = None,
        role: Annotated[
            Role | None, strawberry.argument(description="Only the memberships holding this role.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[MembershipType] | None:
        return await page_under(
            info, community_id, "Place",
            lambda actor, place_id: service.place_memberships(
                info.context.deps, actor, place_id=place_id, status=status, role=role, first=first,
                after=after,
            ),
            MembershipType.from_model,
        )  # fmt: skip


@strawberry.type
class MembershipMutation:
    @strawberry.mutation(description="Ask to join a community; a community worker decides.")
    async def join_community(self, info: Info, input: JoinCommunityInput) -> JoinCommunityPayload:
        return await run_mutation(
            info, JoinCommunityPayload,
            lambda actor: service.join_community(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                address=input.address, household_code=input.household_code,
            ),
            _with_membership(JoinCommunityPayload),
        )  # fmt: skip

    @strawberry.mutation(description="Approve or reject a request to join (community staff).")
    async def decide_membership(
        self, info: Info, input: DecideMembershipInput
    ) -> DecideMembershipPayload:
        return await run_mutation(
            info, DecideMembershipPayload,
            lambda actor: service.decide_membership(
                info.context.deps, actor,
                membership_id=input_id(input.membership_id, "Membership", "membershipId"),
                approve=input.approve, roles=input.roles, reason=input.reason,
                owned_floor_area=input.owned_floor_area,
                household_confirmed=input.household_confirmed,
            ),
            _with_membership(DecideMembershipPayload),
        )  # fmt: skip

    @strawberry.mutation(
        description="Leave a community (a resident moves away) or withdraw a request to join."
    )
    async def leave_community(
        self, info: Info, input: LeaveCommunityInput
    ) -> LeaveCommunityPayload:
        return await run_mutation(
            info, LeaveCommunityPayload,
            lambda actor: service.leave_community(
                info.context.deps, actor,
                membership_id=input_id(input.membership_id, "Membership", "membershipId"),
            ),
            _with_membership(LeaveCommunityPayload),
        )  # fmt: skip

    @strawberry.mutation(
        description="Correct an active membership (community staff): roles, address, household "
        "code (confirmed by setting it), owned floor area, building, grid; each change audited."
    )
    async def update_membership(
        self, info: Info, input: UpdateMembershipInput
    ) -> UpdateMembershipPayload:
        return await run_mutation(
            info, UpdateMembershipPayload,
            lambda actor: service.update_membership(
                info.context.deps, actor,
                membership_id=input_id(input.membership_id, "Membership", "membershipId"),
                roles=input.roles, address=input.address, household_code=input.household_code,
                owned_floor_area=input.owned_floor_area,
                building_id=optional_input_id(input.building_id, "Place", "buildingId"),
                grid_id=optional_input_id(input.grid_id, "Place", "gridId"),
            ),
            _with_membership(UpdateMembershipPayload),
        )  # fmt: skip

    @strawberry.mutation(
        description="Import the owners' register of a community from a CSV upload (community "
        "staff): each row's member gets its household code (confirmed) and owned floor area. "
        "All or nothing; `dryRun` only reports."
    )
    async def import_owners_register(
        self, info: Info, input: ImportOwnersRegisterInput
    ) -> ImportOwnersRegisterPayload:
        # A multipart file arrives as Starlette's UploadFile (strawberry types it as bytes).
        upload = input.file
        return await run_mutation(
            info, ImportOwnersRegisterPayload,
            lambda actor: accounts.import_owners_register(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                data=upload, dry_run=input.dry_run,
            ),
            lambda result: ImportOwnersRegisterPayload(
                rows=result.rows, imported=result.imported, dry_run=result.dry_run
            ),
        )  # fmt: skip
