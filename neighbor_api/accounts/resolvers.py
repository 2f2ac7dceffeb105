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
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.graphql.errors import mutate


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


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        async def run() -> RegisterPayload:
            signed_in = await service.register(
                info.context.deps,
                phone=input.phone,
                password=input.password,
                display_name=input.display_name,
                locale=input.locale or info.context.locale.value,
            )
            return _signed_in(info, RegisterPayload, signed_in)

        return await mutate(info.context.locale, lambda e: RegisterPayload(errors=e), run)

    @strawberry.mutation(
        description="Sign in. Failed attempts are limited per phone number and per address."
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        async def run() -> LoginPayload:
            signed_in = await service.login(
                info.context.deps,
                phone=input.phone,
                password=input.password,
                client_address=info.context.client_address,
            )
            return _signed_in(info, LoginPayload, signed_in)

        return await mutate(info.context.locale, lambda e: LoginPayload(errors=e), run)

    @strawberry.mutation(
        description="Rotate the refresh token. Reusing an old one ends the whole session."
    )
    async def refresh_session(
        self, info: Info, input: RefreshSessionInput
    ) -> RefreshSessionPayload:
        async def run() -> RefreshSessionPayload:
            signed_in = await service.refresh_session(
                info.context.deps, refresh_token=input.refresh_token
            )
            return RefreshSessionPayload(
                access_token=signed_in.access_token, refresh_token=signed_in.refresh_token
            )

        return await mutate(info.context.locale, lambda e: RefreshSessionPayload(errors=e), run)

    @strawberry.mutation(description="End this session: its tokens stop working.")
    async def logout(self, info: Info) -> LogoutPayload:
        viewer = await info.context.viewer()
        if viewer is None:
            raise Unauthenticated("unauthenticated")
        await service.logout(info.context.deps, session_id=viewer.session_id)
        return LogoutPayload(ok=True)
