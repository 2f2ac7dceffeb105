"""The rules of task boards: who sees and does what, moves and ranks, claims, the review
workflow, and points awarded exactly once.

The workflow is one table, FLOWS (from which statuses, to which column kind, who may); the
mutations and `viewerCan…` fields both read it. Every write is one conditional update of the
task (so of two racing writes one wins and the other is refused, never silently overwritten),
its history entry and its domain event, in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.attachments import service as attachments
from neighbor_api.boards import ranks, repository
from neighbor_api.boards.models import (
    CLAIMABLE,
    NO_DATE,
    STATUS_OF_KIND,
    Board,
    Column,
    ColumnKind,
    HistoryEntry,
    LeaderboardPeriod,
    Submission,
    Task,
    TaskAction,
    TaskComment,
    TaskStatus,
)
from neighbor_api.core import events
from neighbor_api.core import idempotency as idempotent
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.pagination import Page, page_size
from neighbor_api.core.policy import Actor, Role, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.councils import service as councils
from neighbor_api.councils.models import ProposalOutcome
from neighbor_api.places import service as places
from neighbor_api.places.models import PlaceLevel
from neighbor_api.points import repository as points
from neighbor_api.reports import service as reports
from neighbor_api.reports.models import Report

MAX_BOARD_NAME = 40
MAX_COLUMN_NAME = 20
MAX_COLUMNS = 12
MAX_TITLE = 60
MAX_DESCRIPTION = 2000
MAX_NOTE = 500
MAX_LABELS = 10
MAX_LABEL = 20
MAX_POINT_REWARD = 1000  # the ceiling of the setting NEIGHBOR_MAX_TASK_REWARD (default 100)
MAX_CAPACITY = 50
MAX_MEETING_PLACE = 100
MAX_COMMENT = 1000
MAX_CANCEL_REASON = 500
MAX_WIP_LIMIT = 500

# The columns of a new board unless others are given (the fixtures' names).
DEFAULT_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("待认领", ColumnKind.TODO),
    ("进行中", ColumnKind.DOING),
    ("待验收", ColumnKind.REVIEW),
    ("已完成", ColumnKind.DONE),
)


# --- Who sees and does what ---------------------------------------------------------------


def can_see(actor: Actor | None, path: Sequence[ObjectId]) -> bool:
    """A community's boards and tasks: its members, and staff of the places above it."""
    return actor is not None and (is_system(actor) or actor.is_member(path))


def is_staff(actor: Actor, path: Sequence[ObjectId]) -> bool:
    return is_system(actor) or actor.is_staff(path)


def may_create_task(actor: Actor, path: Sequence[ObjectId]) -> bool:
    return is_staff(actor, path) or Role.COUNCIL_MEMBER in actor.roles_at(path)


def holds(actor: Actor, task: Task) -> bool:
    return actor.user_id in task.assignees


class Verb(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"


@dataclass(frozen=True)
class Flow:
    from_statuses: frozenset[TaskStatus]
    # The kind of column the task goes to (None: it stays where it is).
    to_kind: ColumnKind | None
    action: TaskAction
    who: Callable[[Actor, Task], bool]
    # The FORBIDDEN message for anyone else: who may (a catalogue key).
    refusal: str


def _member(actor: Actor, task: Task) -> bool:
    return can_see(actor, task.place_path)


def _holder(actor: Actor, task: Task) -> bool:
    return holds(actor, task)


def _staff(actor: Actor, task: Task) -> bool:
    return is_staff(actor, task.place_path)


def _approver(actor: Actor, task: Task) -> bool:
    """Staff, never on a task they hold themselves (another staff member approves it)."""
    return _staff(actor, task) and not holds(actor, task)


FLOWS: dict[Verb, Flow] = {
    # Claiming a TODO task moves it to DOING (see `claim_task`); a DOING one stays.
    Verb.CLAIM: Flow(CLAIMABLE, None, TaskAction.CLAIMED, _member, "task.claim_forbidden"),
    Verb.RELEASE: Flow(CLAIMABLE, None, TaskAction.RELEASED, _holder, "task.release_forbidden"),
    # A task not yet full stays open to join (OPEN) while its assignees work: they may hand in.
    Verb.SUBMIT: Flow(
        CLAIMABLE, ColumnKind.REVIEW, TaskAction.SUBMITTED, _holder,
        "task.submit_forbidden",
    ),
    Verb.APPROVE: Flow(
        frozenset({TaskStatus.IN_REVIEW}), ColumnKind.DONE, TaskAction.APPROVED, _approver,
        "task.approve_forbidden",
    ),
    Verb.RETURN: Flow(
        frozenset({TaskStatus.IN_REVIEW}), ColumnKind.DOING, TaskAction.RETURNED, _staff,
        "task.return_forbidden",
    ),
}  # fmt: skip


def may(actor: Actor | None, verb: Verb, task: Task) -> bool:
    """Whether the actor may do this to the task now (claims also need a free place)."""
    if actor is None or not FLOWS[verb].who(actor, task):
        return False
    if task.status not in FLOWS[verb].from_statuses:
        return False
    if verb is Verb.CLAIM:
        return not holds(actor, task) and len(task.assignees) < task.capacity
    return True


def may_move(actor: Actor | None, task: Task) -> bool:
    """Staff move any card; a volunteer only cards they hold. Cancelled cards stay put."""
    return (
        actor is not None
        and task.status is not TaskStatus.CANCELLED
        and (_staff(actor, task) or holds(actor, task))
    )


def may_edit(actor: Actor | None, task: Task) -> bool:
    """Staff, and the task's creator, edit or cancel a task until it is done or cancelled."""
    return (
        actor is not None
        and task.status not in (TaskStatus.DONE, TaskStatus.CANCELLED)
        and (
            _staff(actor, task)
            or (task.creator_id is not None and task.creator_id == actor.user_id)
        )
    )


def _check(actor: Actor, verb: Verb, task: Task) -> Flow:
    flow = FLOWS[verb]
    if not flow.who(actor, task):
        raise DomainError.of(ErrorCode.FORBIDDEN, flow.refusal)
    if task.status not in flow.from_statuses:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition")
    return flow


async def _sees_task(deps: Deps, actor: Actor, task_id: ObjectId) -> bool:
    """Photos of a submission are seen by whoever sees the task."""
    return await get_task(deps, actor, task_id) is not None


attachments.register_subject_rule(_sees_task)


# --- Reading ------------------------------------------------------------------------------


BoardReader = Callable[[ObjectId], Awaitable[Board | None]]
"""A caller's way to read boards (a request's DataLoader), lent to the task services so that
the board they read is the one the caller's answer reads: one round trip for both."""


async def _read_board(deps: Deps, board_id: ObjectId, boards: BoardReader | None) -> Board | None:
    if boards is not None:
        return await boards(board_id)
    found = await repository.boards_by_ids(deps.db, [board_id])
    return found[0] if found else None


async def get_board(
    deps: Deps, actor: Actor | None, board_id: ObjectId, *, boards: BoardReader | None = None
) -> Board | None:
    board = await _read_board(deps, board_id, boards)
    return board if board is not None and can_see(actor, board.place_path) else None


async def get_task(deps: Deps, actor: Actor | None, task_id: ObjectId) -> Task | None:
    found = await repository.tasks_by_ids(deps.db, [task_id])
    return found[0] if found and can_see(actor, found[0].place_path) else None


async def column_tasks(
    deps: Deps, column_id: ObjectId, *, version: int | None, first: int | None, after: str | None
) -> Page[Task]:
    """A column's cards in order (the caller checked the board is visible); kept by the
    instance under the board's `tasks_version` when the caller read it (`version`)."""

    def load() -> Awaitable[Page[Task]]:
        return repository.column_page(deps.db, column_id, first=first, after=after)

    if version is None:
        return await load()
    return await deps.keep(("boards.column", column_id, first, after), version, load)


@dataclass(frozen=True)
class Standing:
    rank: int
    points: int
    user_id: ObjectId


# Leaderboard periods are calendar years and months where the communities are.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def period_window(
    period: LeaderboardPeriod, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """[start, end) of the calendar period holding `now`, in Asia/Shanghai (midnight of the
    1st of the month or of January there), as aware datetimes; (None, None) for ALL_TIME."""
    if period is LeaderboardPeriod.ALL_TIME:
        return None, None
    local = now.astimezone(LOCAL_ZONE)
    if period is LeaderboardPeriod.YEAR:
        start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
    return start, end


async def _leaderboard_community(
    deps: Deps, actor: Actor | None, community_id: ObjectId
) -> ObjectId | None:
    community = await places.get_place(deps, community_id)
    if (
        community is None
        or community.level is not PlaceLevel.COMMUNITY
        or not can_see(actor, community.path)
    ):
        return None
    return community.id


async def leaderboard(
    deps: Deps,
    actor: Actor | None,
    *,
    community_id: ObjectId,
    first: int | None,
    period: LeaderboardPeriod = LeaderboardPeriod.ALL_TIME,
) -> list[Standing] | None:
    """The community's points leaderboard (积分榜) of points earned on tasks in the period:
    ties share a rank (1, 2, 2, 4). None for those who may not see the community's boards."""
    found = await _leaderboard_community(deps, actor, community_id)
    if found is None:
        return None
    since, until = period_window(period, deps.clock.now())
    rows = await points.leaderboard(
        deps.db, found, limit=page_size(first), since=since, until=until
    )
    standings: list[Standing] = []
    for position, row in enumerate(rows, start=1):
        tied = standings and standings[-1].points == row["points"]
        rank = standings[-1].rank if tied else position
        standings.append(Standing(rank=rank, points=int(row["points"]), user_id=row["_id"]))
    return standings


async def leaderboard_rank(
    deps: Deps,
    actor: Actor | None,
    *,
    community_id: ObjectId,
    period: LeaderboardPeriod = LeaderboardPeriod.ALL_TIME,
) -> int | None:
    """The viewer's place on the community's leaderboard of the period (ties share a rank);
    None if they earned nothing there then, or may not see the community."""
    if actor is None:
        return None
    found = await _leaderboard_community(deps, actor, community_id)
    if found is None:
        return None
    since, until = period_window(period, deps.clock.now())
    return await points.rank_of(deps.db, found, actor.user_id, since=since, until=until)


async def awards_of(deps: Deps, task: Task) -> list[tuple[ObjectId, int]]:
    return await points.awards_for(deps.db, task.id)


# --- Boards -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: ColumnKind
    wip_limit: int | None = None


async def create_board(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    name: str,
    columns: Sequence[ColumnSpec] | None = None,
) -> Board:
    """A community worker (or an admin above) opens a board. Without columns it gets the
    four default ones; with them, in their order, at least one of each kind."""
    checks = Checks()
    name = checks.text(name, "name", max_length=MAX_BOARD_NAME)
    specs = list(columns) if columns is not None else [ColumnSpec(n, k) for n, k in DEFAULT_COLUMNS]
    built: list[Column] = []
    for index, spec in enumerate(specs):
        column_checks = Checks(("input", "columns", str(index)))
        text = column_checks.text(spec.name, "name", max_length=MAX_COLUMN_NAME)
        if spec.wip_limit is not None and not 1 <= spec.wip_limit <= MAX_WIP_LIMIT:
            column_checks.fail("wipLimit", "board.wip_limit", max=MAX_WIP_LIMIT)
        checks.problems.extend(column_checks.problems)
        built.append(Column(id=ObjectId(), name=text, kind=spec.kind, wip_limit=spec.wip_limit))
    if len(specs) > MAX_COLUMNS:
        checks.fail("columns", "board.too_many_columns", max=MAX_COLUMNS)
    elif {c.kind for c in built} != set(ColumnKind):
        checks.fail("columns", "board.column_kinds")
    checks.done()
    community = await places.get_place_or_raise(
        deps, community_id, level=PlaceLevel.COMMUNITY, field=("input", "communityId")
    )
    if not is_staff(actor, community.path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "board.create_forbidden")
    board = Board(
        community_id=community.id,
        place_path=community.path,
        name=name,
        columns=built,
        created_by=None if is_system(actor) else actor.user_id,
        created_at=deps.clock.now(),
    )

    async def write(session: Session) -> None:
        await repository.insert_board(deps.db, board, session=session)
        await events.record(
            deps, kind=EventKind.BOARD_CREATED, subject_id=board.id, actor_id=_actor_id(actor),
            place_path=board.place_path, data={"name": name}, session=session,
        )  # fmt: skip

    await in_transaction(deps.client, write)
    return board


# --- Helpers of every task write ----------------------------------------------------------


def _actor_id(actor: Actor | None) -> ObjectId | None:
    return None if actor is None or is_system(actor) else actor.user_id


def _history(
    actor: Actor | None,
    action: TaskAction,
    *,
    at: datetime,
    from_column: ObjectId | None = None,
    to_column: ObjectId | None = None,
    note: str | None = None,
) -> Document:
    return HistoryEntry(
        at=at,
        action=action,
        actor_id=_actor_id(actor),
        from_column_id=from_column,
        to_column_id=to_column,
        note=note or None,
    ).model_dump()


async def _board_of(deps: Deps, task: Task, boards: BoardReader | None) -> Board:
    board = await _read_board(deps, task.board_id, boards)
    if board is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "task.not_found", field=("input", "taskId"))
    return board


async def _visible_or_raise(deps: Deps, actor: Actor, task_id: ObjectId) -> Task:
    task = await get_task(deps, actor, task_id)
    if task is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "task.not_found", field=("input", "taskId"))
    return task


async def _check_wip(deps: Deps, board: Board, column: Column, session: Session) -> None:
    """Refuse a card entering a full column (WIP_LIMIT_REACHED). The board is written too, so
    that two transactions filling the last place conflict and the second counts again."""
    if column.wip_limit is None:
        return
    await repository.touch_board(deps.db, board.id, session=session)
    if await repository.count_in_column(deps.db, column.id, session=session) >= column.wip_limit:
        raise DomainError.of(
            ErrorCode.WIP_LIMIT_REACHED, "task.wip_limit", limit=column.wip_limit,
            column=column.name,
        )  # fmt: skip


async def _rank_at(
    deps: Deps,
    board_id: ObjectId,
    column_id: ObjectId,
    *,
    after: Task | None,
    moving: ObjectId | None,
    session: Session,
) -> str:
    """A rank for a card placed after `after` (None: at the top) in a column of the board."""
    low, high = await repository.neighbours(
        deps.db, column_id, after=after, excluding=moving, session=session
    )
    if low is not None and high is not None and not low < high:
        # Two cards share a rank (racing moves): spread the column out, then look again.
        await _rebalance(deps, board_id, column_id, session=session)
        if after is not None:
            (after,) = await repository.tasks_by_ids(deps.db, [after.id], session=session)
        low, high = await repository.neighbours(
            deps.db, column_id, after=after, excluding=moving, session=session
        )
    return ranks.between(low, high)


async def _top_rank(deps: Deps, board_id: ObjectId, column_id: ObjectId, session: Session) -> str:
    return await _rank_at(deps, board_id, column_id, after=None, moving=None, session=session)


async def _rebalance(
    deps: Deps, board_id: ObjectId, column_id: ObjectId, *, session: Session | None = None
) -> None:
    """Give the cards of a column of the board short, evenly spaced ranks (their order
    unchanged)."""
    ids = await repository.column_ids_in_order(deps.db, column_id, session=session)
    spread = list(zip(ids, ranks.spread(len(ids)), strict=True))
    await repository.set_ranks(deps.db, board_id, spread, session=session)


async def _after_write(deps: Deps, task: Task) -> None:
    """Ranks that grew too long (many cards put in one spot) are spread out again."""
    if len(task.rank) > ranks.MAX_RANK_LENGTH:
        await in_transaction(
            deps.client, lambda s: _rebalance(deps, task.board_id, task.column_id, session=s)
        )


async def _record(
    deps: Deps, actor: Actor | None, kind: EventKind, task: Task, session: Session, **data: object
) -> None:
    await events.record(
        deps, kind=kind, subject_id=task.id, actor_id=_actor_id(actor),
        place_path=task.place_path,
        data={"board_id": task.board_id, "column_id": task.column_id, "version": task.version,
              **data},
        session=session,
    )  # fmt: skip


# --- Tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTask:
    board_id: ObjectId
    title: str
    column_id: ObjectId | None = None
    description: str | None = None
    point_reward: int | None = None
    capacity: int | None = None
    due_at: datetime | None = None
    labels: Sequence[str] = ()
    source_report_id: ObjectId | None = None
    source_proposal_id: ObjectId | None = None
    idempotency_key: str | None = None
    starts_at: datetime | None = None
    meeting_place: str | None = None


def _reward(deps: Deps, value: int, checks: Checks) -> int:
    """A task's reward: 0 to the setting's cap per task (NEIGHBOR_MAX_TASK_REWARD)."""
    cap = deps.settings.max_task_reward
    if not 0 <= value <= cap:
        checks.fail("pointReward", "task.point_reward", max=cap)
    return value


def _future(deps: Deps, value: datetime | None, field: str, checks: Checks) -> None:
    if value is not None and value.utcoffset() is None:
        checks.fail(field, "report.due_without_offset")
    elif value is not None and value <= deps.clock.now():
        checks.fail(field, "report.due_in_past")


def soonest(starts_at: datetime | None, due_at: datetime | None) -> datetime:
    """The key open tasks are listed by: the start, else the due time, else never."""
    return starts_at or due_at or NO_DATE


def _labels(values: Sequence[str], checks: Checks) -> list[str]:
    labels = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(labels) > MAX_LABELS:
        checks.fail("labels", "task.too_many_labels", max=MAX_LABELS)
    elif any(len(label) > MAX_LABEL for label in labels):
        checks.fail("labels", "text.too_long", max=MAX_LABEL)
    return labels


async def create_task(
    deps: Deps, actor: Actor, new: NewTask, *, boards: BoardReader | None = None
) -> Task:
    """Staff and council members put a task on a board (a TODO or DOING column; the first
    TODO column by default), at the top of its column."""
    checks = Checks()
    title = checks.text(new.title, "title", max_length=MAX_TITLE)
    description = checks.text(
        new.description, "description", max_length=MAX_DESCRIPTION, required=False
    )
    reward = _reward(deps, 0 if new.point_reward is None else new.point_reward, checks)
    capacity = 1 if new.capacity is None else new.capacity
    if not 1 <= capacity <= MAX_CAPACITY:
        checks.fail("capacity", "task.capacity", max=MAX_CAPACITY)
    _future(deps, new.due_at, "dueAt", checks)
    _future(deps, new.starts_at, "startsAt", checks)
    meeting_place = checks.text(
        new.meeting_place, "meetingPlace", max_length=MAX_MEETING_PLACE, required=False
    )
    labels = _labels(new.labels, checks)
    idempotency = idempotent.parse(actor.user_id, new.idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.TASKS, idempotency):
        return Task.from_document(earlier)
    board = await get_board(deps, actor, new.board_id, boards=boards)
    if board is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "board.not_found", field=("input", "boardId"))
    if not may_create_task(actor, board.place_path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "task.create_forbidden")
    column = board.column(new.column_id) if new.column_id else board.first_of(ColumnKind.TODO)
    if column is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "column.not_found", field=("input", "columnId"))
    if column.kind not in (ColumnKind.TODO, ColumnKind.DOING):
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "task.column_not_open", field=("input", "columnId")
        )
    source_report: Report | None = None
    if new.source_report_id is not None:
        source_report = await reports.get_report(deps, actor, new.source_report_id)
        if source_report is None or source_report.community_id != board.community_id:
            raise DomainError.of(
                ErrorCode.NOT_FOUND, "report.not_found", field=("input", "sourceReportId")
            )
    if new.source_proposal_id is not None:
        proposal = await councils.get_proposal(deps, actor, new.source_proposal_id)
        if proposal is None or proposal[0].community_id != board.community_id:
            raise DomainError.of(
                ErrorCode.NOT_FOUND, "proposal.not_found", field=("input", "sourceProposalId")
            )
        if proposal[0].outcome is not ProposalOutcome.PASSED:  # only what was decided
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "task.proposal_not_passed",
                field=("input", "sourceProposalId"),
            )  # fmt: skip
    now = deps.clock.now()
    draft = Task(
        board_id=board.id,
        column_id=column.id,
        community_id=board.community_id,
        place_path=board.place_path,
        title=title,
        description=description or None,
        status=STATUS_OF_KIND[column.kind],
        point_reward=reward,
        capacity=capacity,
        due_at=new.due_at,
        starts_at=new.starts_at,
        meeting_place=meeting_place or None,
        soonest=soonest(new.starts_at, new.due_at),
        labels=labels,
        creator_id=_actor_id(actor),
        source_report_id=new.source_report_id,
        source_proposal_id=new.source_proposal_id,
        history=[
            HistoryEntry(
                at=now,
                action=TaskAction.CREATED,
                actor_id=_actor_id(actor),
                to_column_id=column.id,
            )
        ],
        idempotency=idempotency,
        created_at=now,
        updated_at=now,
    )
    created: list[Task] = []

    async def write(session: Session) -> None:
        await _check_wip(deps, board, column, session)
        rank = await _top_rank(deps, board.id, column.id, session)
        task = draft.model_copy(update={"rank": rank})
        await repository.insert_task(deps.db, task, session=session)
        if source_report is not None:
            await reports.task_made_from(deps, source_report, session=session)
        await _record(deps, actor, EventKind.TASK_CREATED, task, session, title=title)
        created[:] = [task]

    raced = await idempotent.create_once(deps, repository.TASKS, idempotency, write)
    if raced is not None:
        return Task.from_document(raced)
    await _after_write(deps, created[0])
    return created[0]


async def move_task(
    deps: Deps,
    actor: Actor,
    *,
    task_id: ObjectId,
    to_column_id: ObjectId | None,
    after_task_id: ObjectId | None,
    expected_version: int,
    boards: BoardReader | None = None,
) -> Task:
    """Put a card after another (`after_task_id`; None: the top) in a column of its board
    (None: its own). One document is written: the card, with a rank between its new
    neighbours, only if its version is still `expected_version` (else VERSION_CONFLICT)."""
    task = await _visible_or_raise(deps, actor, task_id)
    if not may_move(actor, task):
        raise DomainError.of(ErrorCode.FORBIDDEN, "task.move_forbidden")
    if task.version != expected_version:
        raise DomainError.of(
            ErrorCode.VERSION_CONFLICT, field=("input", "expectedVersion"), version=task.version
        )
    board = await _board_of(deps, task, boards)
    target = board.column(to_column_id or task.column_id)
    if target is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "column.not_found", field=("input", "toColumnId"))
    source = board.column(task.column_id)
    leaving_done = source is not None and source.kind is ColumnKind.DONE
    if (target.kind is ColumnKind.DONE) != leaving_done:
        # Points are earned through approval: DONE is entered by approveTask, never left.
        raise DomainError.of(
            ErrorCode.INVALID_TRANSITION, "task.done_by_approval", field=("input", "toColumnId")
        )
    in_review = source is not None and source.kind is ColumnKind.REVIEW
    if target.kind is ColumnKind.REVIEW and not in_review:
        # Work reaches review only with a submission (submitTask: its note and photos).
        raise DomainError.of(
            ErrorCode.INVALID_TRANSITION, "task.review_by_submission",
            field=("input", "toColumnId"),
        )  # fmt: skip
    after: Task | None = None
    if after_task_id is not None:
        found = await repository.tasks_by_ids(deps.db, [after_task_id])
        if not found or found[0].column_id != target.id or found[0].id == task.id:
            raise DomainError.of(
                ErrorCode.NOT_FOUND, "task.after_not_found", field=("input", "afterTaskId")
            )
        after = found[0]
    now = deps.clock.now()

    async def write(session: Session) -> Task:
        if target.id != task.column_id:
            await _check_wip(deps, board, target, session)
        rank = await _rank_at(
            deps, board.id, target.id, after=after, moving=task.id, session=session
        )
        moved = await repository.update_task(
            deps.db,
            task.id,
            condition={"version": expected_version},
            changes={
                "column_id": target.id,
                "rank": rank,
                "status": STATUS_OF_KIND[target.kind].value,
                "updated_at": now,
            },
            history=[
                _history(
                    actor, TaskAction.MOVED, at=now, from_column=task.column_id, to_column=target.id
                )
            ],
            session=session,
        )
        if moved is None:  # someone else changed it since it was read
            raise DomainError.of(ErrorCode.VERSION_CONFLICT, field=("input", "expectedVersion"))
        await _record(
            deps, actor, EventKind.TASK_MOVED, moved, session, from_column_id=task.column_id
        )
        return moved

    moved = await in_transaction(deps.client, write)
    await _after_write(deps, moved)
    return moved


async def _to_column(
    deps: Deps, board: Board, kind: ColumnKind, session: Session
) -> tuple[Column, str] | None:
    """The first column of `kind` and a rank at its top (after checking its WIP limit)."""
    column = board.first_of(kind)
    if column is None:
        return None
    await _check_wip(deps, board, column, session)
    return column, await _top_rank(deps, board.id, column.id, session)


async def claim_task(
    deps: Deps, actor: Actor, *, task_id: ObjectId, boards: BoardReader | None = None
) -> Task:
    """A member volunteers: up to `capacity` people, enforced by the update's own condition
    (so 50 simultaneous claims on a task of capacity 3 leave exactly 3 assignees). The claim
    that fills a TODO task moves it to DOING; until then it stays open to join where it is
    (the transaction read the assignees, so a racing claim conflicts and counts again).
    Claiming a task one holds changes nothing."""
    task = await _visible_or_raise(deps, actor, task_id)
    _check(actor, Verb.CLAIM, task)
    if holds(actor, task):
        return task
    board = await _board_of(deps, task, boards)
    now = deps.clock.now()

    async def write(session: Session) -> Task:
        current = (await repository.tasks_by_ids(deps.db, [task.id], session=session))[0]
        changes: Document = {"updated_at": now}
        column = board.column(current.column_id)
        fills = len(current.assignees) + 1 >= current.capacity
        if column is not None and column.kind is ColumnKind.TODO and fills:
            destination = await _to_column(deps, board, ColumnKind.DOING, session)
            if destination is not None:
                doing, rank = destination
                changes |= {
                    "column_id": doing.id,
                    "rank": rank,
                    "status": TaskStatus.IN_PROGRESS.value,
                }
        claimed = await repository.update_task(
            deps.db,
            task.id,
            condition={
                "status": {"$in": [s.value for s in CLAIMABLE]},
                "assignees": {"$ne": actor.user_id},
                "$expr": {"$lt": [{"$size": "$assignees"}, "$capacity"]},
            },
            changes=changes,
            history=[
                _history(
                    actor,
                    TaskAction.CLAIMED,
                    at=now,
                    from_column=current.column_id,
                    to_column=changes.get("column_id", current.column_id),
                )
            ],
            extra={"$push": {"assignees": actor.user_id}},
            session=session,
        )
        if claimed is None:
            if holds(actor, current):
                return current
            if current.status not in CLAIMABLE:
                raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition")
            raise DomainError.of(ErrorCode.TASK_FULL, capacity=current.capacity)
        await _record(
            deps, actor, EventKind.TASK_CLAIMED, claimed, session,
            from_column_id=current.column_id,
        )  # fmt: skip
        return claimed

    claimed = await in_transaction(deps.client, write)
    await _after_write(deps, claimed)
    return claimed


async def release_task(
    deps: Deps, actor: Actor, *, task_id: ObjectId, boards: BoardReader | None = None
) -> Task:
    """An assignee gives their place back. When the last one leaves a task in DOING, it goes
    back to the top of TODO, open to volunteers again (the reverse of claiming)."""
    task = await _visible_or_raise(deps, actor, task_id)
    _check(actor, Verb.RELEASE, task)
    board = await _board_of(deps, task, boards)
    now = deps.clock.now()

    async def write(session: Session) -> Task:
        current = (await repository.tasks_by_ids(deps.db, [task.id], session=session))[0]
        changes: Document = {"updated_at": now}
        column = board.column(current.column_id)
        last = current.assignees == [actor.user_id]
        if last and column is not None and column.kind is ColumnKind.DOING:
            destination = await _to_column(deps, board, ColumnKind.TODO, session)
            if destination is not None:
                todo, rank = destination
                changes |= {"column_id": todo.id, "rank": rank, "status": TaskStatus.OPEN.value}
        released = await repository.update_task(
            deps.db,
            task.id,
            condition={
                "status": {"$in": [s.value for s in CLAIMABLE]},
                "assignees": actor.user_id,
            },
            changes=changes,
            history=[
                _history(
                    actor,
                    TaskAction.RELEASED,
                    at=now,
                    from_column=current.column_id,
                    to_column=changes.get("column_id", current.column_id),
                )
            ],
            extra={"$pull": {"assignees": actor.user_id}},
            session=session,
        )
        if released is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition")
        await _record(
            deps, actor, EventKind.TASK_RELEASED, released, session,
            from_column_id=current.column_id,
        )  # fmt: skip
        return released

    released = await in_transaction(deps.client, write)
    await _after_write(deps, released)
    return released


async def _flow(
    deps: Deps,
    actor: Actor,
    task: Task,
    verb: Verb,
    *,
    note: str | None = None,
    changes: Document | None = None,
    also: Callable[[Session, Task], Awaitable[object]] | None = None,
    boards: BoardReader | None = None,
) -> Task:
    """Write one step of the review workflow: the task goes to the first column of the
    flow's kind (top), only if it is still in the status it was read in."""
    flow = FLOWS[verb]
    assert flow.to_kind is not None
    to_kind: ColumnKind = flow.to_kind
    board = await _board_of(deps, task, boards)
    now = deps.clock.now()

    async def write(session: Session) -> Task:
        destination = await _to_column(deps, board, to_kind, session)
        moves: Document = {}
        if destination is not None:
            column, rank = destination
            moves = {"column_id": column.id, "rank": rank}
        updated = await repository.update_task(
            deps.db,
            task.id,
            condition={"status": task.status.value, "version": task.version},
            changes={
                **moves,
                "status": STATUS_OF_KIND[to_kind].value,
                "updated_at": now,
                **(changes or {}),
            },
            history=[
                _history(
                    actor,
                    flow.action,
                    at=now,
                    from_column=task.column_id,
                    to_column=moves.get("column_id", task.column_id),
                    note=note,
                )
            ],
            session=session,
        )
        if updated is None:  # changed since read: the caller decides what that means
            raise _Stale()
        if also is not None:
            await also(session, updated)
        await _record(
            deps, actor, _EVENT[verb], updated, session, from_column_id=task.column_id,
            note=note,
        )  # fmt: skip
        return updated

    updated = await in_transaction(deps.client, write)
    await _after_write(deps, updated)
    return updated


_EVENT = {
    Verb.SUBMIT: EventKind.TASK_SUBMITTED,
    Verb.APPROVE: EventKind.TASK_APPROVED,
    Verb.RETURN: EventKind.TASK_RETURNED,
}


class _Stale(Exception):
    """The task changed between reading and writing it."""


async def submit_task(
    deps: Deps,
    actor: Actor,
    *,
    task_id: ObjectId,
    note: str | None,
    photo_ids: Sequence[ObjectId] = (),
    boards: BoardReader | None = None,
) -> Task:
    """An assignee hands the work in for review, with a note and photos (→ REVIEW)."""
    checks = Checks()
    text = checks.text(note, "note", max_length=MAX_NOTE, required=False)
    checks.done()
    task = await _visible_or_raise(deps, actor, task_id)
    _check(actor, Verb.SUBMIT, task)
    photos = list(dict.fromkeys(photo_ids))
    submission = Submission(
        note=text or None, photo_ids=photos, submitted_at=deps.clock.now(),
        submitted_by=actor.user_id,
    )  # fmt: skip
    kept = [s.model_dump() for s in [*task.all_submissions(), submission]]

    async def attach(session: Session, updated: Task) -> object:
        if not photos:
            return None
        return await attachments.attach(
            deps, actor, attachment_ids=photos, subject_id=task.id, place_path=task.place_path,
            field=("input", "photoIds"), session=session,
        )  # fmt: skip

    try:
        return await _flow(
            deps, actor, task, Verb.SUBMIT, note=text,
            changes={"submission": submission.model_dump(), "submissions": kept}, also=attach,
            boards=boards,
        )  # fmt: skip
    except _Stale:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition") from None


@dataclass(frozen=True)
class Approved:
    task: Task
    awards: list[tuple[ObjectId, int]]


async def approve_task(
    deps: Deps,
    actor: Actor,
    *,
    task_id: ObjectId,
    absent_user_ids: Sequence[ObjectId] = (),
    boards: BoardReader | None = None,
) -> Approved:
    """Staff accept the work (→ DONE): each assignee gets the reward, exactly once. Approving
    again (a retry, or two staff at once) changes nothing and answers the same awards: the
    task's conditional update lets one approval through, and the ledger's unique index on
    (task, user, reason) would refuse a second entry anyway."""
    task = await _visible_or_raise(deps, actor, task_id)
    if task.status is TaskStatus.DONE and _staff(actor, task):
        return Approved(task, await awards_of(deps, task))
    _check(actor, Verb.APPROVE, task)
    absent = list(dict.fromkeys(absent_user_ids))
    if any(user_id not in task.assignees for user_id in absent):
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "task.absent_not_assignee", field=("input", "absentUserIds")
        )
    awards = [(u, task.point_reward) for u in task.assignees if u not in absent]
    if task.point_reward == 0:
        awards = []

    async def award(session: Session, updated: Task) -> None:
        await points.award(
            deps.db, task_id=task.id, community_id=task.community_id or task.place_path[-1],
            place_path=task.place_path, awards=awards, at=deps.clock.now(), session=session,
        )  # fmt: skip

    try:
        done = await _flow(
            deps, actor, task, Verb.APPROVE,
            changes={"approved_at": deps.clock.now(), "absent_ids": absent},
            also=award, boards=boards,
        )  # fmt: skip
    except (_Stale, DuplicateKeyError):
        # Approved (or otherwise changed) meanwhile: answer what is there now.
        current = await _visible_or_raise(deps, actor, task.id)
        if current.status is not TaskStatus.DONE:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition") from None
        return Approved(current, await awards_of(deps, current))
    return Approved(done, awards)


async def return_task(
    deps: Deps,
    actor: Actor,
    *,
    task_id: ObjectId,
    reason: str | None,
    boards: BoardReader | None = None,
) -> Task:
    """Staff send the work back to its assignees (→ DOING), saying why."""
    checks = Checks()
    text = checks.text(reason, "reason", max_length=MAX_NOTE, required=False)
    checks.done()
    task = await _visible_or_raise(deps, actor, task_id)
    _check(actor, Verb.RETURN, task)
    handed_in = task.all_submissions()
    changes: Document = {}
    if handed_in:
        returned = handed_in[-1].model_copy(
            update={
                "returned_reason": text or None,
                "returned_at": deps.clock.now(),
                "returned_by": actor.user_id,
            }
        )
        kept = [*handed_in[:-1], returned]
        changes = {"submissions": [s.model_dump() for s in kept]}
    try:
        return await _flow(
            deps, actor, task, Verb.RETURN, note=text, changes=changes, boards=boards
        )
    except _Stale:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition") from None


# --- Open to join, edits, cancelling, comments -----------------------------------------------


async def open_tasks(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    first: int | None,
    after: str | None,
) -> Page[Task] | None:
    """The community's tasks the viewer can still join, wherever their card is (a place free,
    not already theirs), soonest first. None for those who may not see the community."""
    community = await places.get_place(deps, community_id)
    if (
        community is None
        or community.level is not PlaceLevel.COMMUNITY
        or not can_see(actor, community.path)
    ):
        return None
    return await repository.open_tasks_page(
        deps.db, community.id, actor.user_id, first=first, after=after
    )


@dataclass(frozen=True)
class TaskEdit:
    """updateTask's fields: None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    meeting_place: str | None = None
    capacity: int | None = None
    point_reward: int | None = None
    due_at: datetime | None = None
    labels: Sequence[str] | None = None


def _refuse_edit(actor: Actor, task: Task) -> None:
    if may_edit(actor, task):
        return
    if not (_staff(actor, task) or task.creator_id == actor.user_id):
        raise DomainError.of(ErrorCode.FORBIDDEN, "task.edit_forbidden")
    raise DomainError.of(ErrorCode.INVALID_TRANSITION, "task.invalid_transition")


def _versioned(task: Task, expected_version: int) -> None:
    if task.version != expected_version:
        raise DomainError.of(
            ErrorCode.VERSION_CONFLICT, field=("input", "expectedVersion"), version=task.version
        )


async def update_task(
    deps: Deps, actor: Actor, *, task_id: ObjectId, expected_version: int, edit: TaskEdit
) -> Task:
    """Staff (and the task's creator) change what a task says: title, details, when and where
    to meet, capacity (never below its assignees), reward (within the cap), due time,
    labels. Written only if the version is still `expected_version` (else VERSION_CONFLICT)."""
    checks = Checks()
    changes: Document = {}
    if edit.title is not None:
        changes["title"] = checks.text(edit.title, "title", max_length=MAX_TITLE)
    if edit.description is not None:
        text = checks.text(
            edit.description, "description", max_length=MAX_DESCRIPTION, required=False
        )
        changes["description"] = text or None
    if edit.meeting_place is not None:
        text = checks.text(
            edit.meeting_place, "meetingPlace", max_length=MAX_MEETING_PLACE, required=False
        )
        changes["meeting_place"] = text or None
    if edit.point_reward is not None:
        changes["point_reward"] = _reward(deps, edit.point_reward, checks)
    if edit.capacity is not None and not 1 <= edit.capacity <= MAX_CAPACITY:
        checks.fail("capacity", "task.capacity", max=MAX_CAPACITY)
    _future(deps, edit.starts_at, "startsAt", checks)
    _future(deps, edit.due_at, "dueAt", checks)
    if edit.labels is not None:
        changes["labels"] = _labels(edit.labels, checks)
    checks.done()
    task = await _visible_or_raise(deps, actor, task_id)
    _refuse_edit(actor, task)
    _versioned(task, expected_version)
    if edit.capacity is not None:
        if edit.capacity < len(task.assignees):
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "task.capacity_below_assignees",
                field=("input", "capacity"), count=len(task.assignees),
            )  # fmt: skip
        changes["capacity"] = edit.capacity
    starts_at = edit.starts_at or task.starts_at
    due_at = edit.due_at or task.due_at
    if edit.starts_at is not None:
        changes["starts_at"] = edit.starts_at
    if edit.due_at is not None:
        changes["due_at"] = edit.due_at
    changes["soonest"] = soonest(starts_at, due_at)
    now = deps.clock.now()
    changes["updated_at"] = now
    fields = sorted(k for k in changes if k not in ("soonest", "updated_at"))

    async def write(session: Session) -> Task:
        updated = await repository.update_task(
            deps.db,
            task.id,
            condition={
                "version": expected_version,
                "status": {"$nin": [TaskStatus.DONE.value, TaskStatus.CANCELLED.value]},
            },
            changes=changes,
            history=[_history(actor, TaskAction.UPDATED, at=now, note=", ".join(fields))],
            session=session,
        )
        if updated is None:
            raise DomainError.of(ErrorCode.VERSION_CONFLICT, field=("input", "expectedVersion"))
        await _record(deps, actor, EventKind.TASK_UPDATED, updated, session, fields=fields)
        return updated

    return await in_transaction(deps.client, write)


async def cancel_task(
    deps: Deps, actor: Actor, *, task_id: ObjectId, expected_version: int, reason: str | None
) -> Task:
    """Staff (and the creator) call a task off: it leaves the board's lists and cannot be
    claimed, nobody earns its points, its history and submissions stay; its assignees are told
    (notifications/rules.py). A task that is DONE (or already cancelled) is INVALID_TRANSITION."""
    checks = Checks()
    text = checks.text(reason, "reason", max_length=MAX_CANCEL_REASON, required=False)
    checks.done()
    task = await _visible_or_raise(deps, actor, task_id)
    _refuse_edit(actor, task)
    _versioned(task, expected_version)
    now = deps.clock.now()

    async def write(session: Session) -> Task:
        cancelled = await repository.update_task(
            deps.db,
            task.id,
            condition={"version": expected_version, "status": task.status.value},
            changes={
                "status": TaskStatus.CANCELLED.value,
                "cancelled_at": now,
                "cancel_reason": text or None,
                "updated_at": now,
            },
            history=[_history(actor, TaskAction.CANCELLED, at=now, note=text)],
            session=session,
        )
        if cancelled is None:
            raise DomainError.of(ErrorCode.VERSION_CONFLICT, field=("input", "expectedVersion"))
        await _record(deps, actor, EventKind.TASK_CANCELLED, cancelled, session, note=text or None)
        return cancelled

    return await in_transaction(deps.client, write)


async def comment_on_task(
    deps: Deps, actor: Actor, *, task_id: ObjectId, body: str, idempotency_key: str | None
) -> TaskComment:
    """A member of the community asks or coordinates on a task (at most 1,000 characters;
    `idempotencyKey`: a retry returns the first comment)."""
    checks = Checks()
    body = checks.text(body, "body", max_length=MAX_COMMENT)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.COMMENTS, idempotency):
        return TaskComment.from_document(earlier)
    task = await _visible_or_raise(deps, actor, task_id)
    comment = TaskComment(
        task_id=task.id, author_id=actor.user_id, body=body, created_at=deps.clock.now(),
        idempotency=idempotency,
    )  # fmt: skip

    async def write(session: Session) -> None:
        await repository.insert_comment(deps.db, comment, session=session)
        await _record(deps, actor, EventKind.TASK_COMMENTED, task, session, comment_id=comment.id)

    raced = await idempotent.create_once(deps, repository.COMMENTS, idempotency, write)
    return TaskComment.from_document(raced) if raced is not None else comment


async def task_comments(
    deps: Deps, task: Task, *, first: int | None, after: str | None
) -> Page[TaskComment]:
    """A task's comments, oldest first (the caller checked the task is visible)."""
    return await repository.comments_page(deps.db, task.id, first=first, after=after)
