"""The per-request context: services' dependencies, the viewer, DataLoaders, the language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bson import ObjectId
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from neighbor_api.accounts import loaders as account_loaders
from neighbor_api.accounts import service as accounts
from neighbor_api.accounts.models import User
from neighbor_api.attachments import loaders as attachment_loaders
from neighbor_api.attachments.models import Attachment
from neighbor_api.boards import loaders as board_loaders
from neighbor_api.boards.models import Board, Task
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.core.i18n import Locale
from neighbor_api.core.policy import Actor, require_actor
from neighbor_api.councils.loaders import CouncilLoaders
from neighbor_api.graphql.sync import MaybeAwaitable, then
from neighbor_api.memberships import loaders as membership_loaders
from neighbor_api.memberships.models import Membership
from neighbor_api.places import loaders as place_loaders
from neighbor_api.places.models import Place
from neighbor_api.privacy import loaders as privacy_loaders
from neighbor_api.privacy.loaders import PhoneRevealKey
from neighbor_api.reports import loaders as report_loaders
from neighbor_api.reports.models import Unit
from neighbor_api.surveys.loaders import SurveyLoaders


def bearer_token(authorization: object) -> str | None:
    """The token of a `Bearer ...` value. Any other present value is kept whole, so that it
    fails authentication rather than being silently ignored."""
    if authorization is None:
        return None
    value = str(authorization).strip()
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else value


# What a WebSocket connection_init payload may authenticate with: exactly {"authorization":
# "Bearer <token>"}, as the contract says (GraphiQL's page sends the headers pane's
# Authorization under that key). A payload naming a credential any other way ("Authorization",
# "authToken", "token", ...) is refused rather than ignored, so a client never takes an
# anonymous connection for a signed-in one.
_KEY = "authorization"
_CREDENTIAL_HINTS = ("auth", "token", "jwt", "bearer", "session")


def connection_token(params: Mapping[str, object] | None) -> str | None:
    """The token of a connection_init payload; Unauthenticated for an unknown credential key
    or a value that is not a string."""
    params = params or {}
    value = params.get(_KEY)
    unknown = [
        key
        for key, other in params.items()
        if key != _KEY
        and other not in (None, "")
        and any(hint in key.lower() for hint in _CREDENTIAL_HINTS)
    ]
    if unknown or (value not in (None, "") and not isinstance(value, str)):
        raise Unauthenticated
    values = [value] if isinstance(value, str) and value else []
    return bearer_token(values[0]) if values else None


class Loaders:
    """One set per request, so batching and caching never cross viewers. Each DataLoader is
    built when a field first asks for it: most requests use two or three of them."""

    def __init__(self, deps: Deps, actor: Callable[[], Awaitable[Actor | None]]) -> None:
        self._deps = deps
        self._actor = actor
        self._viewer: accounts.Authenticated | None = None

    def seed(self, viewer: accounts.Authenticated) -> None:
        """Authentication read the viewer's user and memberships: the `user` and
        `memberships_of_user` loaders answer them without a read (primed now if built, else
        when they are: most requests never build them)."""
        self._viewer = viewer
        if "user" in self.__dict__:
            self.user.prime(viewer.user.id, viewer.user)
        if "memberships_of_user" in self.__dict__:
            self.memberships_of_user.prime(viewer.user.id, list(viewer.memberships))

    @cached_property
    def place(self) -> DataLoader[ObjectId, Place | None]:
        return place_loaders.place_loader(self._deps)

    @cached_property
    def children(self) -> DataLoader[ObjectId, list[Place]]:
        return place_loaders.children_loader(self._deps)

    @cached_property
    def user(self) -> DataLoader[ObjectId, User | None]:
        loader = account_loaders.user_loader(self._deps)
        if self._viewer is not None:
            loader.prime(self._viewer.user.id, self._viewer.user)
        return loader

    @cached_property
    def points(self) -> DataLoader[ObjectId, int]:
        return account_loaders.points_loader(self._deps)

    @cached_property
    def membership(self) -> DataLoader[ObjectId, Membership | None]:
        return membership_loaders.membership_loader(self._deps)

    @cached_property
    def memberships_of_user(self) -> DataLoader[ObjectId, list[Membership]]:
        loader = membership_loaders.memberships_of_user_loader(self._deps)
        if self._viewer is not None:
            loader.prime(self._viewer.user.id, list(self._viewer.memberships))
        return loader

    @cached_property
    def grid_workers(self) -> DataLoader[ObjectId, list[Membership]]:
        return membership_loaders.grid_workers_loader(self._deps)

    @cached_property
    def attachment(self) -> DataLoader[ObjectId, Attachment | None]:
        return attachment_loaders.attachment_loader(self._deps)

    @cached_property
    def endorsed(self) -> DataLoader[ObjectId, bool]:
        return report_loaders.endorsed_loader(self._deps, self._actor)

    @cached_property
    def following(self) -> DataLoader[ObjectId, bool]:
        return report_loaders.following_loader(self._deps, self._actor)

    @cached_property
    def unit(self) -> DataLoader[ObjectId, Unit | None]:
        return report_loaders.unit_loader(self._deps)

    @cached_property
    def tasks_from_report(self) -> DataLoader[ObjectId, list[Task]]:
        return board_loaders.tasks_from_report_loader(self._deps)

    @cached_property
    def board(self) -> DataLoader[ObjectId, Board | None]:
        return board_loaders.board_loader(self._deps)

    @cached_property
    def boards_of_community(self) -> DataLoader[ObjectId, list[Board]]:
        return board_loaders.boards_of_community_loader(self._deps)

    @cached_property
    def column_task_counts(self) -> DataLoader[tuple[ObjectId, int | None], int]:
        return board_loaders.column_task_counts_loader(self._deps)

    @cached_property
    def phone_reveals(self) -> DataLoader[PhoneRevealKey, None]:
        return privacy_loaders.phone_reveals_loader(self._deps)

    @cached_property
    def councils(self) -> CouncilLoaders:
        return CouncilLoaders(self._deps, self._actor)

    @cached_property
    def surveys(self) -> SurveyLoaders:
        return SurveyLoaders(self._deps, self._actor)


@dataclass
class Context:
    deps: Deps
    locale: Locale
    request_id: str
    token: str | None = None
    client_address: str | None = None
    request: Any = None
    # The WebSocket connection_init payload: {"authorization": "Bearer ..."} (connection_token).
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)
    _viewer: accounts.Authenticated | None = field(default=None, init=False)
    _authenticated: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.deps, self.actor)

    async def viewer(self, *, fresh: bool = False) -> accounts.Authenticated | None:
        """The signed-in viewer (None without a token; Unauthenticated for a bad one).

        Authenticated once per request; `fresh=True` authorises again as of now (the token's
        expiry, the session still live, the memberships as they are): a WebSocket's each
        operation and each event. Both go through the session cache (accounts/sessions.py),
        so neither usually costs a database round trip."""
        if self.token is None and isinstance(self.connection_params, dict):
            self.token = connection_token(self.connection_params)
        if fresh and self._authenticated:
            self._viewer = None
            self._authenticated = False
        if not self._authenticated and self.token is not None:
            self._viewer = viewer = await accounts.authenticate(self.deps, self.token)
            self._authenticated = True
            # Authentication read the user and their memberships: later fields reuse them.
            self.loaders.seed(viewer)
        return self._viewer

    def viewer_if_cached(self) -> accounts.Authenticated | None:
        """`viewer(fresh=True)`'s answer when it needs no wait (the token valid, its session in
        the session cache), kept as the context's viewer; None when only `viewer(fresh=True)`
        can tell. A subscription's each event, on each of 1,000 sockets (live/resolvers.py)."""
        if self.token is None:
            return None
        viewer = accounts.authenticate_now(self.deps, self.token)
        if viewer is not None:
            self._viewer, self._authenticated = viewer, True
        return viewer

    def use_token(self, token: str) -> None:
        """Answer the rest of the request as the holder of `token` (after register, login)."""
        self.token = token
        self._viewer = None
        self._authenticated = False

    @property
    def viewer_id(self) -> ObjectId | None:
        """The signed-in viewer's id, once authentication has run (for the logs)."""
        return self._viewer.user.id if self._viewer is not None else None

    @property
    def over_websocket(self) -> bool:
        """One context serves every operation of a WebSocket connection."""
        return isinstance(self.request, WebSocket)

    async def must_accept_policy(self) -> bool:
        """True when the signed-in viewer has not accepted the current privacy policy."""
        viewer = await self.viewer()
        version = self.deps.settings.privacy_policy_version
        return viewer is not None and not viewer.user.accepted(version)

    async def actor(self) -> Actor | None:
        viewer = await self.viewer()
        return viewer.actor if viewer else None

    def viewer_now(self) -> MaybeAwaitable[accounts.Authenticated | None]:
        """`viewer()`, at once once authentication has run (graphql/auth.py runs it before
        execution), for resolvers that answer without a task (graphql/sync.py)."""
        if self._authenticated or (self.token is None and self.connection_params is None):
            return self._viewer
        return self.viewer()

    def actor_now(self) -> MaybeAwaitable[Actor | None]:
        """`actor()`, at once once authentication has run (see `viewer_now`)."""
        return then(self.viewer_now(), lambda viewer: viewer.actor if viewer else None)

    async def require_actor(self) -> Actor:
        return require_actor(await self.actor())


Info = StrawberryInfo[Context, None]
# The signed-in viewer as the GraphQL platform sees it (graphql/ imports no feature).
Viewer = accounts.Authenticated
