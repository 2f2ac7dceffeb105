"""Live updates over WebSocket: boardEvents, reportEvents, proposalEvents.

Each subscription is checked when it starts (the viewer must be signed in and may see what it
names: otherwise UNAUTHENTICATED or NOT_FOUND, never silence) and each event again when it is
delivered: its object is re-read and shown only if the viewer, with their memberships as they
are now, may see it; the types hide what queries hide (a secret ballot's counts).

At the size of a heated vote (1,000 sockets on one board) the subscribers of one event share
its reads (`LiveEvent.shared`): a task or proposal is read once for all of them and each
applies its own permission check (a report is still read per socket: its service has no read
without a check); sockets of one session share the session re-read and the
event's DataLoaders. `deliver_notifications` serves `notificationReceived` the same way.
The subscription caps (per connection, per user) are counted before any of this runs, by the
WebSocket endpoint (graphql/sockets.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, TypeVar

import strawberry
from bson import ObjectId
from graphql import GraphQLError

from neighbor_api.boards import service as boards
from neighbor_api.boards.types import TaskType
from neighbor_api.context import Context, Info, Loaders
from neighbor_api.core.errors import DomainError, ErrorCode, Unauthenticated
from neighbor_api.core.events import REPORT_MOVES, TASK_EVENTS, EventKind
from neighbor_api.core.i18n import translate
from neighbor_api.core.policy import SYSTEM, Actor
from neighbor_api.councils import service as councils
from neighbor_api.councils.models import Ballot
from neighbor_api.councils.types import ProposalType
from neighbor_api.graphql.auth import close_socket, viewer_now
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.execution import EventShare
from neighbor_api.graphql.relay import from_global_id
from neighbor_api.live.hub import (
    Hub,
    LiveEvent,
    LiveNotification,
    Subscriber,
    SubscriberTooSlow,
    board_topic,
    place_topic,
    subject_topic,
)
from neighbor_api.places import service as places
from neighbor_api.reports import service as reports
from neighbor_api.reports.types import ReportType

# The WebSocket close code and reason for a subscriber that fell too far behind.
TOO_SLOW_CLOSE_CODE = 4008
TOO_SLOW_REASON = "subscriber too slow"
SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"

T = TypeVar("T")
E = TypeVar("E", LiveEvent, LiveNotification)


class Shareable(Protocol):
    """A subscription payload whose execution its event's sockets may share
    (graphql/execution.py)."""

    live_share: EventShare | None


S = TypeVar("S", bound=Shareable)


class TaskEventKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    MOVED = "MOVED"
    DELETED = "DELETED"


graphql_enum(
    TaskEventKind,
    "What happened to a task on the board.",
    {
        TaskEventKind.CREATED: "A task was put on the board.",
        TaskEventKind.UPDATED: "A task changed within its column (a claim, a release, ...).",
        TaskEventKind.MOVED: "A task moved to another column.",
        TaskEventKind.DELETED: "A task the viewer no longer sees (`task` is null).",
    },
)


class ReportEventKind(Enum):
    CREATED = "CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    COMMENTED = "COMMENTED"


graphql_enum(
    ReportEventKind,
    "What happened to a report in the community.",
    {
        ReportEventKind.CREATED: "A report was submitted.",
        ReportEventKind.STATUS_CHANGED: "A report moved in its workflow.",
        ReportEventKind.COMMENTED: "Someone commented on a report.",
    },
)


class ProposalEventKind(Enum):
    OPENED = "OPENED"
    VOTE_CAST = "VOTE_CAST"
    CLOSED = "CLOSED"


graphql_enum(
    ProposalEventKind,
    "What happened to a proposal.",
    {
        ProposalEventKind.OPENED: "Voting opened.",
        ProposalEventKind.VOTE_CAST: "A vote was cast (turnout changed).",
        ProposalEventKind.CLOSED: "Voting closed with an outcome.",
    },
)


@strawberry.type(description="A change on a task board.")
class BoardEvent:
    kind: TaskEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    task: TaskType | None = strawberry.field(description="The task as it is now (null: deleted).")
    live_share: strawberry.Private[EventShare | None] = None


@strawberry.type(description="A change to one of a community's reports.")
class ReportEvent:
    kind: ReportEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    report: ReportType = strawberry.field(description="The report as it is now.")
    live_share: strawberry.Private[EventShare | None] = None


@strawberry.type(description="A change to a proposal.")
class ProposalEvent:
    kind: ProposalEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    proposal: ProposalType = strawberry.field(description="The proposal as it is now.")
    live_share: strawberry.Private[EventShare | None] = None


# --- Domain event kinds -> contract kinds ---------------------------------------------------


def task_kind(event: LiveEvent) -> TaskEventKind | None:
    if event.kind not in TASK_EVENTS:
        return None
    if event.kind is EventKind.TASK_CREATED:
        return TaskEventKind.CREATED
    moved_from = event.data.get("from_column_id")
    if moved_from is not None and moved_from != event.data.get("column_id"):
        return TaskEventKind.MOVED
    return TaskEventKind.UPDATED


# Every move of the report state machine (accept, assign, start, resolve, reject, escalate,
# rate, close) is STATUS_CHANGED; endorsements are not live events.
REPORT_KINDS = {
    EventKind.REPORT_SUBMITTED: ReportEventKind.CREATED,
    EventKind.REPORT_COMMENTED: ReportEventKind.COMMENTED,
    **dict.fromkeys(REPORT_MOVES, ReportEventKind.STATUS_CHANGED),
}


def report_kind(event: LiveEvent) -> ReportEventKind | None:
    return REPORT_KINDS.get(event.kind)


PROPOSAL_KINDS = {
    EventKind.PROPOSAL_VOTING_OPENED: ProposalEventKind.OPENED,
    EventKind.PROPOSAL_VOTE_CAST: ProposalEventKind.VOTE_CAST,
    EventKind.PROPOSAL_CLOSED: ProposalEventKind.CLOSED,
    EventKind.PROPOSAL_VOTING_CANCELLED: ProposalEventKind.CLOSED,
    # Withdrawn ends the proposal too (its status says WITHDRAWN).
    EventKind.PROPOSAL_WITHDRAWN: ProposalEventKind.CLOSED,
}


def proposal_kind(event: LiveEvent) -> ProposalEventKind | None:
    return PROPOSAL_KINDS.get(event.kind)


# --- The plumbing ---------------------------------------------------------------------------


def hub_of(context: Context) -> Hub:
    """The running app's hub (`app.state.live_hub`, set by the lifespan)."""
    request = context.request
    hub = getattr(getattr(getattr(request, "app", None), "state", None), "live_hub", None)
    if not isinstance(hub, Hub):
        raise RuntimeError("live updates are not running in this app")
    return hub


def _not_found(key: str) -> DomainError:
    return DomainError.of(ErrorCode.NOT_FOUND, key)


class _Viewer:
    """The subscriber's actor as of now, for each event: the token re-checked (expiry), the
    session still live and the memberships as they are, through the session cache
    (accounts/sessions.py); when the session ended the socket is closed (4403)."""

    def __init__(self, context: Context, session_id: ObjectId) -> None:
        self._context = context
        self.session_id = session_id

    def actor_now(self) -> Actor | None:
        """The actor as of now when that takes no wait (the session in the session cache: no
        coroutine chain per socket and event); None: ask `actor()`."""
        viewer = self._context.viewer_if_cached()
        return viewer.actor if viewer is not None else None

    async def actor(self) -> Actor:
        """The actor as of now. On a warm session cache this reads nothing, so the sockets of
        one session need not share it per event."""
        viewer = await viewer_now(self._context)
        if viewer is None:
            raise Unauthenticated("unauthenticated")
        return viewer.actor


async def _start(context: Context) -> _Viewer:
    viewer = await viewer_now(context)
    if viewer is None:
        raise Unauthenticated("unauthenticated")
    return _Viewer(context, viewer.session_id)


def _close_when_too_slow(context: Context) -> Callable[[], None]:
    """Close the subscriber's WebSocket with 4008 (from the hub: never waits for it)."""
    return lambda: close_socket(context, TOO_SLOW_CLOSE_CODE, TOO_SLOW_REASON)


def _stream(
    context: Context,
    viewer: _Viewer,
    topic: tuple[str, Any],
    accept: Callable[[LiveEvent], bool],
    shape: Callable[[LiveEvent, Actor], Awaitable[S | None]],
) -> AsyncGenerator[S, None]:
    """The events of `topic` that `accept` keeps, shaped for the viewer (None: skipped); the
    sockets of one event with the same actor and language share its execution."""

    async def shared(event: LiveEvent, actor: Actor) -> S | None:
        shaped = await shape(event, actor)
        if shaped is not None:
            shaped.live_share = EventShare(event.shared, (actor, context.locale))
        return shaped

    return _deliver(
        context, viewer, lambda: hub_of(context).subscribe({topic}, accept=accept), shared
    )


async def _deliver(
    context: Context,
    viewer: _Viewer,
    subscribe: Callable[[], AbstractContextManager[Subscriber[E]]],
    shape: Callable[[E, Actor], Awaitable[T | None]],
) -> AsyncGenerator[T, None]:
    """What the hub hands the subscriber `subscribe` makes (for as long as the generator
    runs), each checked against the viewer as of now and shaped (None: skipped); 4008 when
    it falls too far behind. The subscription's generator itself: no generator around it to
    pass each event of each socket through."""
    with subscribe() as subscriber:
        subscriber.on_overflow.append(_close_when_too_slow(context))
        try:
            async for item in subscriber:
                actor = viewer.actor_now()
                if actor is None:
                    actor = await viewer.actor()
                # Fresh loaders per event (fresh data), shared by the sockets of one session.
                context.loaders = item.shared.get(
                    ("loaders", viewer.session_id), lambda: Loaders(context.deps, context.actor)
                )
                shaped = await shape(item, actor)
                if shaped is not None:
                    yield shaped
        except SubscriberTooSlow:
            raise GraphQLError(
                translate("live.too_slow", context.locale),
                extensions={"code": SUBSCRIBER_TOO_SLOW},
            ) from None


async def deliver_notifications(
    context: Context, shape: Callable[[Mapping[str, Any], Actor], T | None]
) -> AsyncIterator[T]:
    """`notificationReceived`: the viewer's notifications as the hub sees them inserted (no
    change stream of its own), each after the session is re-checked; `shape` turns a stored
    document into what is sent (None: skipped)."""
    viewer = await _start(context)
    user_id = (await viewer.actor()).user_id

    async def shaped(item: LiveNotification, actor: Actor) -> T | None:
        return shape(item.document, actor)

    return _deliver(
        context, viewer, lambda: hub_of(context).subscribe_notifications(user_id), shaped
    )


def _id(value: strawberry.ID, type_name: str, key: str) -> ObjectId:
    object_id = from_global_id(value, type_name)
    if object_id is None:
        raise _not_found(key)
    return object_id


# --- The subscription root ------------------------------------------------------------------


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="Changes to the tasks of a board the viewer may see.")
    async def board_events(
        self, info: Info, board_id: strawberry.ID
    ) -> AsyncGenerator[BoardEvent, None]:
        context = info.context

        async def check() -> AsyncIterator[BoardEvent]:
            viewer = await _start(context)
            object_id = _id(board_id, "Board", "board.not_found")
            board = await boards.get_board(context.deps, await viewer.actor(), object_id)
            if board is None:
                raise _not_found("board.not_found")
            # What the subscription keeps of the board for its life (not the whole model: ~4 KB
            # per socket at 1,000 sockets).
            watched_id, board_path = board.id, board.place_path

            async def shape(event: LiveEvent, actor: Actor) -> BoardEvent | None:
                kind = task_kind(event)
                if kind is None or not boards.can_see(actor, board_path):
                    return None
                # Read once for every subscriber of the event, checked for each.
                task = await event.shared.once(
                    ("task", event.subject_id),
                    lambda: boards.get_task(context.deps, SYSTEM, event.subject_id),
                )
                if task is None or not boards.can_see(actor, task.place_path):
                    return BoardEvent(kind=TaskEventKind.DELETED, at=event.at, task=None)
                return BoardEvent(kind=kind, at=event.at, task=TaskType.from_model(task))

            return _stream(
                context, viewer, board_topic(watched_id), lambda e: task_kind(e) is not None, shape
            )

        return await check()  # type: ignore[return-value]

    @strawberry.subscription(
        description="Changes to a community's reports, those the viewer may see."
    )
    async def report_events(
        self, info: Info, community_id: strawberry.ID
    ) -> AsyncGenerator[ReportEvent, None]:
        context = info.context

        async def check() -> AsyncIterator[ReportEvent]:
            viewer = await _start(context)
            object_id = _id(community_id, "Place", "community.not_found")
            community = await places.get_place(context.deps, object_id)
            if community is None or not (await viewer.actor()).is_member(community.path):
                raise _not_found("community.not_found")

            async def shape(event: LiveEvent, actor: Actor) -> ReportEvent | None:
                kind = report_kind(event)
                report = await reports.get_report(context.deps, actor, event.subject_id)
                if kind is None or report is None:
                    return None
                return ReportEvent(kind=kind, at=event.at, report=ReportType.from_model(report))

            return _stream(
                context,
                viewer,
                place_topic(community.id),
                lambda e: report_kind(e) is not None,
                shape,
            )

        return await check()  # type: ignore[return-value]

    @strawberry.subscription(description="Changes to a proposal the viewer may see.")
    async def proposal_events(
        self, info: Info, proposal_id: strawberry.ID
    ) -> AsyncGenerator[ProposalEvent, None]:
        context = info.context

        async def check() -> AsyncIterator[ProposalEvent]:
            viewer = await _start(context)
            object_id = _id(proposal_id, "Proposal", "proposal.not_found")
            if await councils.get_proposal(context.deps, await viewer.actor(), object_id) is None:
                raise _not_found("proposal.not_found")

            async def shape(event: LiveEvent, actor: Actor) -> ProposalEvent | None:
                kind = proposal_kind(event)
                if kind is None:
                    return None
                # A heated vote: read once for every subscriber of the event, checked for each.
                found = await event.shared.once(
                    ("proposal", event.subject_id),
                    lambda: councils.get_proposal(context.deps, SYSTEM, event.subject_id),
                )
                if found is None or not councils.can_see(actor, found[1]):
                    return None
                proposal = found[0]
                # A secret ballot's vote says that someone voted, not the turnout it moved to.
                quiet = kind is ProposalEventKind.VOTE_CAST and proposal.ballot is Ballot.SECRET
                return ProposalEvent(
                    kind=kind, at=event.at, proposal=ProposalType.from_model(proposal, quiet=quiet)
                )

            return _stream(
                context,
                viewer,
                subject_topic(object_id),
                lambda e: proposal_kind(e) is not None,
                shape,
            )

        return await check()  # type: ignore[return-value]
