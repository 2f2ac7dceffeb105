"""Sign-up, sign-in, sessions and the viewer."""

from __future__ import annotations

from typing import TypeVar

import strawberry

from neighbor_api.accounts import service
from neighbor_api.accounts.types import (
    LoginInput,
    LoginPayload,
    LogoutPayload,
    RefreshSessionInput,
    RefreshSessionPayload,
    RegisterInput,
    RegisterPayload,
    UserType,
)
from neighbor_api.context import Info
from neighbor_api.graphql.errors import run_mutation, run_public_mutation


@strawberry.type
class AccountQuery:
    @strawberry.field(description="Who is signed in (null without a token).")
    async def viewer(self, info: Info) -> UserType | None:
        viewer = await info.context.viewer()
        return UserType.from_model(viewer.user) if viewer else None


P = TypeVar("P", RegisterPayload, LoginPayload)


def _signed_in(info: Info, payload: type[P], signed_in: service.SignedIn) -> P:
    # The rest of this request (the payload's viewer) is answered as the user just signed in.
    info.context.use_token(signed_in.access_token)
    return payload(
        access_token=signed_in.access_token,
        refresh_token=signed_in.refresh_token,
        viewer=UserType.from_model(signed_in.user),
    )


async def _logout(info: Info) -> None:
    viewer = await info.context.viewer()
    if viewer is not None:  # always: run_mutation has required the actor
        await service.logout(info.context.deps, session_id=viewer.session_id)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        return await run_public_mutation(
            info, RegisterPayload,
            lambda: service.register(
                info.context.deps, phone=input.phone, password=input.password,
                display_name=input.display_name,
                locale=input.locale or info.context.locale.value,
                client_address=info.context.client_address,
            ),
            lambda signed_in: _signed_in(info, RegisterPayload, signed_in),
        )  # fmt: skip

    @strawberry.mutation(
        description="Sign in. Attempts are limited per address, and a phone number's failed "
        "attempts make the next one wait longer and longer (RATE_LIMITED, with retryAfter)."
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        return await run_public_mutation(
            info, LoginPayload,
            lambda: service.login(
                info.context.deps, phone=input.phone, password=input.password,
                client_address=info.context.client_address,
            ),
            lambda signed_in: _signed_in(info, LoginPayload, signed_in),
        )  # fmt: skip

    @strawberry.mutation(
        description="Rotate the refresh token. Reusing an old one ends the whole session."
    )
    async def refresh_session(
        self, info: Info, input: RefreshSessionInput
    ) -> RefreshSessionPayload:
        return await run_public_mutation(
            info, RefreshSessionPayload,
            lambda: service.refresh_session(info.context.deps, refresh_token=input.refresh_token),
            lambda signed_in: RefreshSessionPayload(
                access_token=signed_in.access_token, refresh_token=signed_in.refresh_token
            ),
        )  # fmt: skip

    @strawberry.mutation(description="End this session: its tokens stop working.")
    async def logout(self, info: Info) -> LogoutPayload:
        return await run_mutation(
            info, LogoutPayload, lambda _: _logout(info), lambda _: LogoutPayload(ok=True)
        )
