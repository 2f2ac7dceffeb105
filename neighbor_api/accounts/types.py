"""GraphQL types of users and sessions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.accounts.models import Consent, User, VerificationPurpose
from neighbor_api.boards import service as boards
from neighbor_api.boards.models import LeaderboardPeriod
from neighbor_api.context import Info
from neighbor_api.core.i18n import translate
from neighbor_api.core.policy import (
    Disclosure,
    Need,
    can_see_membership,
    can_see_user,
    can_see_user_details,
    mask_phone,
    phone_disclosure,
)
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import Connection, from_global_id, node_type
from neighbor_api.memberships.models import OPEN_STATUSES, Membership, MembershipStatus
from neighbor_api.memberships.types import MembershipType
from neighbor_api.notifications import service as notifications
from neighbor_api.notifications.types import NotificationPreferencesType, PushDeviceType
from neighbor_api.points import repository as points
from neighbor_api.points.types import PointsEntryType
from neighbor_api.privacy.loaders import PhoneRevealKey
from neighbor_api.surveys import service as surveys
from neighbor_api.surveys.types import SurveyType

graphql_enum(
    VerificationPurpose,
    "What a verification code is for; a code serves only its purpose.",
    {
        VerificationPurpose.REGISTER: "Create an account (`register`).",
        VerificationPurpose.LOGIN: "Sign in with a code (`loginWithCode`).",
        VerificationPurpose.RESET_PASSWORD: "Set a forgotten password (`resetPassword`).",
        VerificationPurpose.CHANGE_PHONE: "Move the account to a new number (`changePhone`; "
        "the code goes to the new number).",
        VerificationPurpose.DELETE_ACCOUNT: "Delete the account (`deleteAccount`).",
    },
)


@strawberry.type(description="One acceptance of the privacy policy.")
class ConsentType:
    policy_version: str = strawberry.field(description="The version accepted.")
    accepted_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, consent: Consent) -> ConsentType:
        return cls(policy_version=consent.policy_version, accepted_at=consent.accepted_at)


@strawberry.type(name="PrivacyPolicy", description="The privacy policy users accept.")
class PrivacyPolicyType:
    version: str = strawberry.field(description="The current version (accept it by this).")
    url: str = strawberry.field(description="Where to read it.")


async def _active_paths(info: Info, user_id: ObjectId) -> list[list[ObjectId]]:
    memberships: list[Membership] = await info.context.loaders.memberships_of_user.load(user_id)
    return [m.place_path for m in memberships if m.status is MembershipStatus.ACTIVE]


async def _open_paths(info: Info, user_id: ObjectId) -> list[list[ObjectId]]:
    """Places the user belongs to or is asking to join: their staff may see the user's details
    (a community worker deciding a join request sees the applicant's phone)."""
    memberships: list[Membership] = await info.context.loaders.memberships_of_user.load(user_id)
    return [m.place_path for m in memberships if m.status in OPEN_STATUSES]


@node_type
@strawberry.type(name="User", description="A person with an account.")
class UserType(relay.Node):
    id: relay.NodeID[str]
    model: strawberry.Private[User]
    # Why the viewer is looking at this person (a report they filed, a membership they hold):
    # what may justify showing their phone number in full (core/policy.phone_disclosure).
    need: strawberry.Private[Need | None] = None

    @classmethod
    def from_model(cls, user: User, need: Need | None = None) -> UserType:
        return cls(id=str(user.id), model=user, need=need)

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> UserType | None:
        user = await info.context.loaders.user.load(object_id)
        if user is None:
            return None
        actor = await info.context.actor()
        visible = can_see_user(
            actor, user.id, await _active_paths(info, user.id)
        ) or can_see_user_details(actor, user.id, await _open_paths(info, user.id))
        return cls.from_model(user) if visible else None

    async def _is_self(self, info: Info) -> bool:
        actor = await info.context.actor()
        return actor is not None and actor.user_id == self.model.id

    @strawberry.field(
        description='The name shown to others; 已注销用户 / "Deleted user" once the account '
        "was deleted."
    )
    def display_name(self, info: Info) -> str:
        if self.model.deleted:
            return translate("user.deleted_name", info.context.locale)
        return self.model.display_name

    @strawberry.field(
        description="The mobile number: in full (E.164) for the user, for the assignee and the "
        "community's own staff on the reporter of a report being handled, and for the "
        "community's own staff on a pending or active member (each such reveal is logged); "
        "masked (138****0001) for other staff of the user's places; else null."
    )
    async def phone(self, info: Info) -> str | None:
        if self.model.deleted:
            return None
        actor = await info.context.actor()
        paths = await _open_paths(info, self.model.id)
        disclosure = phone_disclosure(actor, self.model.id, paths, self.need)
        if disclosure is Disclosure.NONE:
            return None
        if disclosure is Disclosure.MASKED:
            return mask_phone(self.model.phone)
        if actor is not None and self.need is not None and actor.user_id != self.model.id:
            await info.context.loaders.phone_reveals.load(
                PhoneRevealKey(actor.user_id, self.model.id, self.need)
            )
        return self.model.phone

    @strawberry.field(description="The user's language (zh-CN or en): for the user only.")
    async def locale(self, info: Info) -> str | None:
        return self.model.locale.value if await self._is_self(info) else None

    @strawberry.field(
        description="Whether the user appears by name on leaderboards (else as an anonymous "
        "entry): for the user only."
    )
    async def show_on_leaderboard(self, info: Info) -> bool | None:
        return self.model.show_on_leaderboard if await self._is_self(info) else None

    @strawberry.field(
        description="Every acceptance of the privacy policy, oldest first: for the user only."
    )
    async def consents(self, info: Info) -> list[ConsentType] | None:
        if not await self._is_self(info):
            return None
        return [ConsentType.from_model(c) for c in self.model.consents]

    @strawberry.field(
        description="True while the user has not accepted the current privacy policy "
        "(`privacyPolicy`): mutations then answer POLICY_NOT_ACCEPTED until `acceptPolicy`. "
        "For the user only."
    )
    async def must_accept_policy(self, info: Info) -> bool | None:
        if not await self._is_self(info):
            return None
        return not self.model.accepted(info.context.deps.settings.privacy_policy_version)

    @strawberry.field(
        description="Points earned on task boards, over all communities: for the user only."
    )
    async def points(self, info: Info) -> int | None:
        if not await self._is_self(info):
            return None
        return await info.context.loaders.points.load(self.model.id)

    @strawberry.field(
        description="The points ledger's entries, newest first, each with the running balance "
        "(积分明细): for the user only. The newest balance is `points`."
    )
    async def points_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PointsEntryType] | None:
        if not await self._is_self(info):
            return None
        page = await points.history(info.context.deps.db, self.model.id, first=first, after=after)
        return Connection.of(page.map(PointsEntryType.from_entry))

    @strawberry.field(
        description="The user's rank on the community's leaderboard of the period (ties share "
        "a rank; null: nothing earned there then, or not a member): for the user only."
    )
    async def leaderboard_rank(
        self,
        info: Info,
        community_id: strawberry.ID,
        period: LeaderboardPeriod | None = LeaderboardPeriod.ALL_TIME,
    ) -> int | None:
        actor = await info.context.actor()
        place_id = from_global_id(community_id, "Place")
        if actor is None or actor.user_id != self.model.id or place_id is None:
            return None
        return await boards.leaderboard_rank(
            info.context.deps, actor, community_id=place_id,
            period=period or LeaderboardPeriod.ALL_TIME,
        )  # fmt: skip

    @strawberry.field(description="What the user hears, and when: for the user only.")
    async def notification_preferences(self, info: Info) -> NotificationPreferencesType | None:
        actor = await info.context.actor()
        if actor is None or actor.user_id != self.model.id:
            return None
        found = await notifications.preferences(info.context.deps, actor)
        return NotificationPreferencesType.from_model(found)

    @strawberry.field(description="The phones registered for pushes: for the user only.")
    async def devices(self, info: Info) -> list[PushDeviceType]:
        actor = await info.context.actor()
        if actor is None or actor.user_id != self.model.id:
            return []
        return [
            PushDeviceType.from_model(d)
            for d in await notifications.devices(info.context.deps, actor)
        ]

    @strawberry.field(
        description="The surveys open now that the user may answer, closing soonest first "
        "(answered ones too: see `viewerHasAnswered`): for the user only."
    )
    async def open_surveys(self, info: Info) -> list[SurveyType]:
        actor = await info.context.actor()
        if actor is None or actor.user_id != self.model.id:
            return []
        found = await surveys.open_surveys(info.context.deps, actor)
        loader = info.context.loaders.surveys.survey
        for survey in found:
            loader.prime(survey.id, survey)
        return [SurveyType.from_model(s) for s in found]

    @strawberry.field(
        description="The user's memberships: all of them for the user, those in their places "
        "for staff."
    )
    async def memberships(self, info: Info) -> list[MembershipType]:
        actor = await info.context.actor()
        memberships = await info.context.loaders.memberships_of_user.load(self.model.id)
        return [
            MembershipType.from_model(m)
            for m in memberships
            if can_see_membership(actor, m.user_id, m.place_path)
        ]


@strawberry.input(description="Create an account.")
class RegisterInput:
    phone: str = strawberry.field(description="A mainland mobile number, e.g. 13800000001.")
    password: str = strawberry.field(description="At least 8 characters.")
    display_name: str = strawberry.field(description="The name shown to others.")
    locale: str | None = strawberry.field(default=None, description="zh-CN (default) or en.")
    verification_code: str | None = strawberry.field(
        default=None,
        description="Required: the code sent to the phone for purpose REGISTER "
        "(`requestVerificationCode`).",
    )
    accepted_policy_version: str | None = strawberry.field(
        default=None, description="Required: the current `privacyPolicy.version`, accepted."
    )


@strawberry.input(description="Sign in with phone number and password.")
class LoginInput:
    phone: str = strawberry.field(description="The registered mobile number.")
    password: str = strawberry.field(description="The password.")


@strawberry.input(description="Trade a refresh token for a new token pair.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The latest refresh token (single use).")


@strawberry.type(description="A signed-in session's tokens.")
class SignedInPayload(Payload):
    access_token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer ...`; lives 15 minutes."
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="Single use; lives 30 days."
    )
    viewer: UserType | None = strawberry.field(default=None, description="Who signed in.")


@strawberry.type(description="The result of register.")
class RegisterPayload(SignedInPayload):
    pass


@strawberry.type(description="The result of login.")
class LoginPayload(SignedInPayload):
    pass


@strawberry.type(description="The result of refreshSession.")
class RefreshSessionPayload(Payload):
    access_token: str | None = strawberry.field(default=None, description="A new access token.")
    refresh_token: str | None = strawberry.field(
        default=None, description="The next refresh token (the one sent is now used up)."
    )


@strawberry.type(description="The result of logout.")
class LogoutPayload(Payload):
    ok: bool = strawberry.field(default=False, description="True once the session has ended.")


@strawberry.input(description="Send a verification code by SMS.")
class RequestVerificationCodeInput:
    phone: str = strawberry.field(
        description="The mobile number the code goes to (for CHANGE_PHONE, the new one)."
    )
    purpose: VerificationPurpose = strawberry.field(description="What the code is for.")


@strawberry.type(description="The result of requestVerificationCode.")
class RequestVerificationCodePayload(Payload):
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the code stops working (5 minutes)."
    )
    resend_after_seconds: int | None = strawberry.field(
        default=None, description="Seconds before another code may be requested for the phone."
    )


@strawberry.input(description="Sign in with a code sent to the phone (purpose LOGIN).")
class LoginWithCodeInput:
    phone: str = strawberry.field(description="The registered mobile number.")
    code: str = strawberry.field(description="The 6-digit code.")


@strawberry.type(description="The result of loginWithCode.")
class LoginWithCodePayload(SignedInPayload):
    pass


@strawberry.input(description="Set a forgotten password (a RESET_PASSWORD code).")
class ResetPasswordInput:
    phone: str = strawberry.field(description="The registered mobile number.")
    code: str = strawberry.field(description="The 6-digit code.")
    new_password: str = strawberry.field(description="At least 8 characters.")


@strawberry.type(description="The result of resetPassword: every session has ended.")
class ResetPasswordPayload(Payload):
    ok: bool = strawberry.field(default=False, description="True once the password is set.")


@strawberry.input(description="Change the password, knowing the current one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password now.")
    new_password: str = strawberry.field(description="At least 8 characters.")


@strawberry.type(description="The result of changePassword: every other session has ended.")
class ChangePasswordPayload(Payload):
    access_token: str | None = strawberry.field(
        default=None, description="A new access token (the one sent has stopped working)."
    )
    refresh_token: str | None = strawberry.field(default=None, description="A new refresh token.")


@strawberry.input(description="Change the profile; absent fields stay as they are.")
class UpdateProfileInput:
    display_name: str | None = strawberry.field(
        default=None, description="The name shown to others."
    )
    locale: str | None = strawberry.field(default=None, description="zh-CN or en.")
    show_on_leaderboard: bool | None = strawberry.field(
        default=None, description="False: appear on leaderboards as an anonymous entry."
    )


@strawberry.type(description="The result of updateProfile.")
class UpdateProfilePayload(Payload):
    viewer: UserType | None = strawberry.field(default=None, description="The user now.")


@strawberry.input(description="Move the account to a new number (a CHANGE_PHONE code sent to it).")
class ChangePhoneInput:
    new_phone: str = strawberry.field(description="The new mobile number.")
    code: str = strawberry.field(description="The 6-digit code sent to the new number.")


@strawberry.type(description="The result of changePhone (the old number is released).")
class ChangePhonePayload(Payload):
    viewer: UserType | None = strawberry.field(default=None, description="The user now.")


@strawberry.input(description="Accept the privacy policy.")
class AcceptPolicyInput:
    version: str = strawberry.field(description="The current `privacyPolicy.version`.")


@strawberry.type(description="The result of acceptPolicy.")
class AcceptPolicyPayload(Payload):
    viewer: UserType | None = strawberry.field(default=None, description="The user now.")
