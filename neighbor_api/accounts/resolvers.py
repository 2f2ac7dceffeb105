"""Sign-up, sign-in, sessions and the viewer."""

from __future__ import annotations

from typing import TypeVar

import strawberry

from neighbor_api.accounts import service
from neighbor_api.accounts.models import User
from neighbor_api.accounts.types import (
    AcceptPolicyInput,
    AcceptPolicyPayload,
    ChangePasswordInput,
    ChangePasswordPayload,
    ChangePhoneInput,
    ChangePhonePayload,
    LoginInput,
    LoginPayload,
    LoginWithCodeInput,
    LoginWithCodePayload,
    LogoutPayload,
    PrivacyPolicyType,
    RefreshSessionInput,
    RefreshSessionPayload,
    RegisterInput,
    RegisterPayload,
    RequestVerificationCodeInput,
    RequestVerificationCodePayload,
    ResetPasswordInput,
    ResetPasswordPayload,
    UpdateProfileInput,
    UpdateProfilePayload,
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

    @strawberry.field(description="The privacy policy in force (accept it with acceptPolicy).")
    def privacy_policy(self, info: Info) -> PrivacyPolicyType:
        settings = info.context.deps.settings
        return PrivacyPolicyType(
            version=settings.privacy_policy_version, url=settings.privacy_policy_url
        )


P = TypeVar("P", RegisterPayload, LoginPayload, LoginWithCodePayload)


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
    @strawberry.mutation(
        description="Create an account and sign in: a REGISTER code sent to the phone and the "
        "current privacy policy's version are required."
    )
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        return await run_public_mutation(
            info, RegisterPayload,
            lambda: service.register_with_code(
                info.context.deps, phone=input.phone, password=input.password,
                display_name=input.display_name,
                locale=input.locale or info.context.locale.value,
                verification_code=input.verification_code,
                accepted_policy_version=input.accepted_policy_version,
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
        description="Rotate the refresh token. Reusing an old one ends the whole session "
        "(except the same client's retry within 30 s, which gets the same new pair)."
    )
    async def refresh_session(
        self, info: Info, input: RefreshSessionInput
    ) -> RefreshSessionPayload:
        return await run_public_mutation(
            info, RefreshSessionPayload,
            lambda: service.refresh_session(
                info.context.deps, refresh_token=input.refresh_token,
                client_address=info.context.client_address,
            ),
            lambda signed_in: RefreshSessionPayload(
                access_token=signed_in.access_token, refresh_token=signed_in.refresh_token
            ),
        )  # fmt: skip

    @strawberry.mutation(description="End this session: its tokens stop working.")
    async def logout(self, info: Info) -> LogoutPayload:
        return await run_mutation(
            info, LogoutPayload, lambda _: _logout(info), lambda _: LogoutPayload(ok=True)
        )

    @strawberry.mutation(
        description="Send a 6-digit code by SMS (valid 5 minutes; one request per phone per "
        "minute, 10 a day). The answer does not tell whether the phone has an account."
    )
    async def request_verification_code(
        self, info: Info, input: RequestVerificationCodeInput
    ) -> RequestVerificationCodePayload:
        return await run_public_mutation(
            info, RequestVerificationCodePayload,
            lambda: service.request_code(
                info.context.deps, phone=input.phone, purpose=input.purpose,
                client_address=info.context.client_address,
                locale=info.context.locale.value,
            ),
            lambda sent: RequestVerificationCodePayload(
                expires_at=sent.expires_at, resend_after_seconds=sent.resend_after_seconds
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Sign in with a LOGIN code sent to the phone (验证码登录).")
    async def login_with_code(self, info: Info, input: LoginWithCodeInput) -> LoginWithCodePayload:
        return await run_public_mutation(
            info, LoginWithCodePayload,
            lambda: service.login_with_code(
                info.context.deps, phone=input.phone, code=input.code
            ),
            lambda signed_in: _signed_in(info, LoginWithCodePayload, signed_in),
        )  # fmt: skip

    @strawberry.mutation(
        description="Set a forgotten password with a RESET_PASSWORD code; every session ends."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        return await run_public_mutation(
            info, ResetPasswordPayload,
            lambda: service.reset_password(
                info.context.deps, phone=input.phone, code=input.code,
                new_password=input.new_password,
            ),
            lambda _: ResetPasswordPayload(ok=True),
        )  # fmt: skip

    @strawberry.mutation(
        description="Change the password; every other session ends and a new pair is returned."
    )
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        return await run_mutation(
            info, ChangePasswordPayload,
            lambda actor: service.change_password(
                info.context.deps, user_id=actor.user_id,
                current_password=input.current_password, new_password=input.new_password,
            ),
            lambda signed_in: ChangePasswordPayload(
                access_token=signed_in.access_token, refresh_token=signed_in.refresh_token
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Change the name, language or leaderboard visibility.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> UpdateProfilePayload:
        return await run_mutation(
            info, UpdateProfilePayload,
            lambda actor: service.update_profile(
                info.context.deps, user_id=actor.user_id, display_name=input.display_name,
                locale=input.locale, show_on_leaderboard=input.show_on_leaderboard,
            ),
            lambda user: UpdateProfilePayload(viewer=_fresh(info, user)),
        )  # fmt: skip

    @strawberry.mutation(
        description="Move the account to a new number, with a CHANGE_PHONE code sent to it."
    )
    async def change_phone(self, info: Info, input: ChangePhoneInput) -> ChangePhonePayload:
        return await run_mutation(
            info, ChangePhonePayload,
            lambda actor: service.change_phone(
                info.context.deps, user_id=actor.user_id, new_phone=input.new_phone,
                code=input.code,
            ),
            lambda user: ChangePhonePayload(viewer=_fresh(info, user)),
        )  # fmt: skip

    @strawberry.mutation(description="Accept the current privacy policy (recorded with the time).")
    async def accept_policy(self, info: Info, input: AcceptPolicyInput) -> AcceptPolicyPayload:
        return await run_mutation(
            info, AcceptPolicyPayload,
            lambda actor: service.accept_policy(
                info.context.deps, user_id=actor.user_id, version=input.version
            ),
            lambda user: AcceptPolicyPayload(viewer=_fresh(info, user)),
        )  # fmt: skip


def _fresh(info: Info, user: User) -> UserType:
    """The payload's viewer as just written (the request's loader had the old one)."""
    info.context.loaders.user.clear(user.id)
    info.context.loaders.user.prime(user.id, user)
    return UserType.from_model(user)
