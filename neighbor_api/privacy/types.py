"""GraphQL types of personal data: deletion, export and the access log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from neighbor_api.accounts.types import UserType
from neighbor_api.context import Info
from neighbor_api.core.policy import PhoneNeed
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places.types import PlaceType
from neighbor_api.privacy.models import PhoneReveal

graphql_enum(
    PhoneNeed,
    "Why a full phone number was shown to someone other than its owner.",
    {
        PhoneNeed.REPORT_REPORTER: "To the assignee or the community's staff: the reporter of a "
        "report they handle.",
        PhoneNeed.MEMBERSHIP: "To the community's staff: a pending or active member.",
        PhoneNeed.REPORT_HANDLER: "Never in full: the reporter sees their handler's number masked.",
    },
)

# The GraphQL type of the object a number was shown through, by reason.
_OBJECT_TYPES = {
    PhoneNeed.REPORT_REPORTER: "Report",
    PhoneNeed.REPORT_HANDLER: "Report",
    PhoneNeed.MEMBERSHIP: "Membership",
}


@strawberry.type(
    name="PhoneReveal",
    description="One full phone number shown to someone other than its owner: who saw whose "
    "number, why and when (the personal-data access log).",
)
class PhoneRevealType:
    reason: PhoneNeed = strawberry.field(description="Why it was shown.")
    at: datetime = strawberry.field(description="When.")
    model: strawberry.Private[PhoneReveal]

    @classmethod
    def from_model(cls, reveal: PhoneReveal) -> PhoneRevealType:
        return cls(reason=reveal.reason, at=reveal.at, model=reveal)

    @strawberry.field(description="The id of the report or membership it was shown through.")
    def object_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(_OBJECT_TYPES[self.model.reason], self.model.object_id))

    @strawberry.field(description="Who saw it.")
    async def viewer(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.model.viewer_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(description="Whose number it was.")
    async def subject(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.model.subject_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(description="The community it was shown in.")
    async def community(self, info: Info) -> PlaceType | None:
        community_id = self.model.community_id
        return await PlaceType.load(info, community_id) if community_id else None


@strawberry.input(description="Delete the viewer's account (注销).")
class DeleteAccountInput:
    code: str = strawberry.field(
        description="A verification code for purpose DELETE_ACCOUNT, sent to the viewer's phone."
    )


@strawberry.type(description="The result of deleteAccount.")
class DeleteAccountPayload(Payload):
    pass


@strawberry.type(description="The result of exportMyData.")
class ExportMyDataPayload(Payload):
    url: str | None = strawberry.field(
        default=None,
        description="GET it (no token needed: the link is the permission) for one JSON "
        "document of everything stored about you. Valid a few minutes.",
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the link stops working."
    )
