"""Deleting the account, exporting one's data, reading the access log."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import Connection, page_under
from neighbor_api.privacy import service
from neighbor_api.privacy.types import (
    DeleteAccountInput,
    DeleteAccountPayload,
    ExportMyDataPayload,
    PhoneRevealType,
)


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="Full phone numbers shown in a place and under it (who saw whose, why, "
        "when), newest first: for the place's ADMINs and those above (null for anyone else)."
    )
    async def phone_reveals(
        self,
        info: Info,
        place_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PhoneRevealType] | None:
        return await page_under(
            info, place_id, "Place",
            lambda actor, place: service.access_log(
                info.context.deps, actor, place_id=place, first=first, after=after
            ),
            PhoneRevealType.from_model,
        )  # fmt: skip


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Delete the viewer's account (注销) with a DELETE_ACCOUNT code: every session "
        "ends at once; name, phone, password, memberships' addresses and household codes are "
        "erased within minutes. Reports stay, shown as by 已注销用户; cast votes keep counting."
    )
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DeleteAccountPayload:
        return await run_mutation(
            info, DeleteAccountPayload,
            lambda actor: service.delete_account(info.context.deps, actor, code=input.code),
            lambda _: DeleteAccountPayload(),
        )  # fmt: skip

    @strawberry.mutation(
        description="A signed link, valid a few minutes, to one JSON document of everything "
        "stored about the viewer (PIPL art. 45)."
    )
    async def export_my_data(self, info: Info) -> ExportMyDataPayload:
        return await run_mutation(
            info, ExportMyDataPayload,
            lambda actor: service.export_link(info.context.deps, actor),
            lambda link: ExportMyDataPayload(url=link.url, expires_at=link.expires_at),
        )  # fmt: skip
