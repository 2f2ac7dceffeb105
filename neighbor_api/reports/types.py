"""GraphQL types of resident reports."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from inspect import isawaitable
from typing import Any

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.accounts.types import UserType
from neighbor_api.attachments.types import AttachmentType
from neighbor_api.boards.types import TaskType
from neighbor_api.context import Info
from neighbor_api.core.i18n import Locale
from neighbor_api.core.policy import Actor, Role
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import Connection, from_global_id, node_type
from neighbor_api.graphql.sync import MaybeAwaitable, loaded, loaded_many, then
from neighbor_api.places.types import GeoPointInput, GeoPointType, PlaceType
from neighbor_api.reports import categories, service, units
from neighbor_api.reports.models import (
    Answer,
    Comment,
    EscalationLevel,
    Report,
    ReportAction,
    ReportCategory,
    ReportOrder,
    ReportPriority,
    ReportStatus,
    ReportVisibility,
    Satisfaction,
    TimelineEntry,
    Unit,
)

graphql_enum(
    ReportCategory,
    "What a report is about.",
    {
        ReportCategory.REPAIR: "Broken facilities: lights, pipes, lifts, pavements (设施维修).",
        ReportCategory.ENVIRONMENT: "Rubbish, sanitation, greenery (环境卫生).",
        ReportCategory.SAFETY_HAZARD: (
            "Something dangerous: blocked fire exits, loose structures (安全隐患)."
        ),
        ReportCategory.TRAFFIC: "Roads, parking and getting around (交通出行).",
        ReportCategory.NEIGHBOR_DISPUTE: "A dispute between neighbours, PRIVATE by default.",
        ReportCategory.PROPERTY_MANAGEMENT: "The property management's services (物业管理).",
        ReportCategory.PUBLIC_ORDER: "Noise, disturbances, public order (治安秩序).",
        ReportCategory.OTHER: "Anything else.",
    },
)
graphql_enum(
    ReportStatus,
    "Where a report is in its workflow.",
    {
        ReportStatus.SUBMITTED: "Filed, waiting for staff to accept it.",
        ReportStatus.ACCEPTED: "Accepted by staff, with a priority and a due time.",
        ReportStatus.ASSIGNED: "Assigned to a grid or community worker.",
        ReportStatus.IN_PROGRESS: "The assignee is working on it.",
        ReportStatus.RESOLVED: (
            "Resolved; waiting for the reporter's rating (closes itself after 7 days)."
        ),
        ReportStatus.CLOSED: "Finished (办结).",
        ReportStatus.REJECTED: "Not accepted, with a reason.",
        ReportStatus.WITHDRAWN: "Withdrawn by the reporter before acceptance (reason kept).",
        ReportStatus.DUPLICATE: "Closed as a duplicate of another report (`duplicateOf`).",
    },
)
graphql_enum(
    ReportPriority,
    "Sets the due time: URGENT 4 h ... LOW 7 days.",
    {
        ReportPriority.LOW: "Due in 7 days.",
        ReportPriority.NORMAL: "Due in 72 hours.",
        ReportPriority.HIGH: "Due in 24 hours.",
        ReportPriority.URGENT: "Due in 4 hours.",
    },
)
graphql_enum(
    ReportVisibility,
    "COMMUNITY: every member sees it; PRIVATE: reporter and staff.",
    {
        ReportVisibility.COMMUNITY: "Every member of the community sees it.",
        ReportVisibility.PRIVATE: (
            "Only the reporter, the assignee, the worker who filed it and staff see it."
        ),
    },
)
graphql_enum(
    ReportAction,
    "What happened to a report, on its timeline.",
    {
        ReportAction.SUBMITTED: "Filed.",
        ReportAction.ACCEPTED: "Accepted by staff.",
        ReportAction.ASSIGNED: "Assigned or reassigned to a worker.",
        ReportAction.STARTED: "The assignee started work.",
        ReportAction.RESOLVED: "Marked resolved.",
        ReportAction.REJECTED: "Rejected by staff.",
        ReportAction.ESCALATED: "Escalated to the next level.",
        ReportAction.RATED: "The reporter rated the resolution.",
        ReportAction.REOPENED: "Reopened by a rating of 1 or 2.",
        ReportAction.CLOSED: (
            "Closed: by the reporter, staff, a rating of 3 to 5, or 7 days after resolution."
        ),
        ReportAction.DISPATCHED: "Dispatched by the street or district to one of its units.",
        ReportAction.RETURNED: "Returned by the unit to the street or district, with a reason.",
        ReportAction.WITHDRAWN: "Withdrawn by the reporter.",
        ReportAction.MARKED_DUPLICATE: "Marked by staff as a duplicate of another report.",
    },
)
graphql_enum(
    EscalationLevel,
    "Who is handling a report: community, street, district.",
    {
        EscalationLevel.COMMUNITY: "Handled by the community.",
        EscalationLevel.STREET: "Escalated to the street (街道).",
        EscalationLevel.DISTRICT: "Escalated to the district (区).",
    },
)
graphql_enum(
    ReportOrder,
    "How to sort a list of reports.",
    {
        ReportOrder.NEWEST: "Most recent first.",
        ReportOrder.OLDEST: "Oldest first.",
        ReportOrder.MOST_ENDORSED: 'Most "me too"s first.',
        ReportOrder.DUE_SOONEST: "Earliest due time first.",
    },
)


graphql_enum(
    categories.QuestionKind,
    "How a category's question is answered (the answer is always sent as text).",
    {
        categories.QuestionKind.TEXT: "Free text (at most 500 characters).",
        categories.QuestionKind.NUMBER: 'A number, e.g. "3" or "2.5".',
        categories.QuestionKind.SINGLE_CHOICE: "One of `options`, exactly.",
        categories.QuestionKind.BOOLEAN: '"true" or "false".',
    },
)


@strawberry.type(
    name="ReportQuestion",
    description="A question a report of the category answers (an Open311 attribute).",
)
class ReportQuestionType:
    key: str = strawberry.field(description="Sent back as `AnswerInput.key`.")
    label: str = strawberry.field(description="The question, in the request's language.")
    kind: categories.QuestionKind = strawberry.field(description="How it is answered.")
    required: bool = strawberry.field(
        description="Must be answered when `answers` is sent (clients that send no `answers` "
        "are not asked)."
    )
    options: list[str] = strawberry.field(description="The choices of a SINGLE_CHOICE question.")


@strawberry.type(
    name="ReportCategoryInfo",
    description="A category as the app offers it: label, description and questions.",
)
class ReportCategoryInfoType:
    category: ReportCategory = strawberry.field(description="The category (submitReport's).")
    label: str = strawberry.field(description="Its name, in the request's language.")
    description: str = strawberry.field(description="What belongs in it, in that language.")
    questions: list[ReportQuestionType] = strawberry.field(description="What to ask, in order.")

    @classmethod
    def from_model(cls, found: categories.CategoryInfo, locale: Locale) -> ReportCategoryInfoType:
        def text(labels: dict[Locale, str]) -> str:
            return labels.get(locale) or labels[Locale.ZH_CN]

        return cls(
            category=found.category,
            label=text(found.labels),
            description=text(found.descriptions),
            questions=[
                ReportQuestionType(
                    key=q.key,
                    label=text(q.labels),
                    kind=q.kind,
                    required=q.required,
                    options=list(q.options),
                )
                for q in found.questions
            ],
        )


@strawberry.type(name="ReportAnswer", description="The answer to one of the category's questions.")
class AnswerType:
    key: str = strawberry.field(description="The question's key.")
    value: str = strawberry.field(description="The answer, as text.")


@strawberry.input(name="AnswerInput", description="The answer to one of the category's questions.")
class AnswerInput:
    key: str = strawberry.field(description="The question's key (reportCategories).")
    value: str = strawberry.field(description='As text: "3", "true", an option, free text.')

    def to_model(self) -> Answer:
        return Answer(key=self.key, value=self.value)


def _user(info: Info, user_id: ObjectId | None) -> MaybeAwaitable[UserType | None]:
    if user_id is None:
        return None
    return then(
        loaded(info.context.loaders.user, user_id),
        lambda user: UserType.from_model(user) if user else None,
    )


def _user_unless_hidden(
    info: Info, user_id: ObjectId | None, report: Report | None
) -> MaybeAwaitable[UserType | None]:
    """`_user`, or None when `user_id` is the reporter of `report` and the viewer may not see
    who reported it (an anonymous report)."""
    if report is None or user_id != report.reporter_id:
        return _user(info, user_id)

    def shaped(actor: Actor | None) -> MaybeAwaitable[UserType | None]:
        if not service.can_see_reporter(actor, report):
            return None
        return _user(info, user_id)

    return then(info.context.actor_now(), shaped)


def _attachments(info: Info, ids: list[ObjectId]) -> MaybeAwaitable[list[AttachmentType]]:
    return then(
        loaded_many(info.context.loaders.attachment, ids),
        lambda found: [AttachmentType.from_model(a) for a in found if a is not None],
    )


@strawberry.type(description="What the viewer may do with a report now.")
class ReportViewerCan:
    accept: bool
    assign: bool
    start: bool
    resolve: bool
    reject: bool
    escalate: bool
    rate: bool
    close: bool
    withdraw: bool
    mark_duplicate: bool
    comment: bool
    dispatch: bool = strawberry.field(
        description="Send it to a unit of the street or district it is escalated to."
    )
    return_: bool = strawberry.field(
        name="return", description="Send it back to the level that dispatched it (its unit)."
    )


@strawberry.type(name="Satisfaction", description="The reporter's rating of a resolution.")
class SatisfactionType:
    rating: int = strawberry.field(description="1 (very unhappy) to 5 (very happy).")
    comment: str | None = strawberry.field(description="What the reporter said.")
    rated_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, satisfaction: Satisfaction) -> SatisfactionType:
        return cls(
            rating=satisfaction.rating, comment=satisfaction.comment, rated_at=satisfaction.rated_at
        )


@strawberry.type(name="ReportTimelineEntry", description="One move on a report's timeline.")
class TimelineEntryType:
    at: datetime = strawberry.field(description="When.")
    action: ReportAction = strawberry.field(description="What happened.")
    from_status: ReportStatus | None = strawberry.field(description="The status before.")
    to_status: ReportStatus | None = strawberry.field(description="The status after.")
    note: str | None = strawberry.field(description="The note given (reason, resolution...).")
    rating: int | None = strawberry.field(
        default=None, description="The stars (1–5) of a RATED entry; null on other entries."
    )
    entry: strawberry.Private[TimelineEntry]
    report: strawberry.Private[Report]

    @strawberry.field(
        description="Who did it (null: the system, or an anonymous reporter).",
        graphql_type=UserType | None,
    )
    def actor(self, info: Info) -> MaybeAwaitable[UserType | None]:
        return _user_unless_hidden(info, self.entry.actor_id, self.report)


@node_type
@strawberry.type(name="ReportComment", description="A comment on a report.")
class ReportCommentType(relay.Node):
    id: relay.NodeID[str]
    body: str = strawberry.field(description="The comment.")
    created_at: datetime = strawberry.field(description="When it was written.")
    model: strawberry.Private[Comment]
    report: strawberry.Private[Report | None]

    @classmethod
    def from_model(cls, comment: Comment, report: Report | None) -> ReportCommentType:
        return cls(
            id=str(comment.id),
            body=comment.body,
            created_at=comment.created_at,
            model=comment,
            report=report,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> ReportCommentType | None:
        return None  # comments are reached through their report

    @strawberry.field(
        description="Who wrote it (null for an anonymous reporter's own comment).",
        graphql_type=UserType | None,
    )
    def author(self, info: Info) -> MaybeAwaitable[UserType | None]:
        return _user_unless_hidden(info, self.model.author_id, self.report)


def _timeline(report: Report) -> list[TimelineEntryType]:
    # Entries written before the stars were kept on them take them from `ratings`: the n-th
    # RATED entry is the n-th rating.
    ratings = iter(report.ratings)
    entries = []
    for e in report.timeline or []:
        rating = e.rating
        if e.action is ReportAction.RATED:
            given = next(ratings, None)
            rating = rating or (given.rating if given else None)
        entries.append(
            TimelineEntryType(
                at=e.at, action=e.action, from_status=e.from_status, to_status=e.to_status,
                note=e.note, rating=rating, entry=e, report=report,
            )
        )  # fmt: skip
    return entries


async def _whole_timeline(info: Info, report_id: ObjectId) -> list[TimelineEntryType]:
    """The timeline of a report read for a list (without it): the report read whole."""
    whole = await service.get_report(info.context.deps, await info.context.actor(), report_id)
    return _timeline(whole) if whole else []


@node_type
@strawberry.type(name="Report", description="A resident's report of a problem (随手拍).")
class ReportType(relay.Node):
    id: relay.NodeID[str]
    number: str = strawberry.field(description="Human-readable, e.g. JA-2026-000123.")
    title: str = strawberry.field(description="A short title.")
    description: str = strawberry.field(description="What is wrong.")
    category: ReportCategory = strawberry.field(description="What it is about.")
    status: ReportStatus = strawberry.field(description="Where it is in the workflow.")
    priority: ReportPriority | None = strawberry.field(description="Set when accepted.")
    visibility: ReportVisibility = strawberry.field(description="Who may see it.")
    anonymous: bool = strawberry.field(description="Hide the reporter from all but staff.")
    address: str | None = strawberry.field(description="Where, in words.")
    location: GeoPointType = strawberry.field(description="Where, on the map.")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    due_at: datetime | None = strawberry.field(description="When it should be resolved by.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    resolution_note: str | None = strawberry.field(description="What was done.")
    escalation_level: EscalationLevel = strawberry.field(description="Who is handling it.")
    endorsement_count: int = strawberry.field(description='How many neighbours said "me too".')
    comment_count: int = strawberry.field(description="How many comments it has.")
    follower_count: int = strawberry.field(
        description="How many people follow it (the reporter and endorsers do automatically)."
    )
    distance_meters: float | None = strawberry.field(
        default=None, description="Distance from the point asked about (nearby lists)."
    )
    model: strawberry.Private[Report]

    @classmethod
    def from_model(cls, report: Report, distance_meters: float | None = None) -> ReportType:
        return cls(
            id=str(report.id),
            number=report.number,
            title=report.title,
            description=report.description,
            category=report.category,
            status=report.status,
            priority=report.priority,
            visibility=report.visibility,
            anonymous=report.anonymous,
            address=report.address,
            location=GeoPointType.from_model(report.location),
            created_at=report.created_at,
            due_at=report.due_at,
            resolved_at=report.resolved_at,
            resolution_note=report.resolution_note,
            escalation_level=report.escalation_level,
            endorsement_count=report.endorsement_count,
            comment_count=report.comment_count,
            follower_count=report.follower_count,
            distance_meters=round(distance_meters, 1) if distance_meters is not None else None,
            model=report,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> ReportType | None:
        report = await service.get_report(info.context.deps, await info.context.actor(), object_id)
        return cls.from_model(report) if report else None

    @strawberry.field(description="Past its due time and not yet resolved.")
    def overdue(self, info: Info) -> bool:
        return self.model.is_overdue(info.context.deps.clock.now())

    @strawberry.field(description="The community it is in.", graphql_type=PlaceType | None)
    def community(self, info: Info) -> MaybeAwaitable[PlaceType | None]:
        return PlaceType.load_now(info, self.model.community_id)

    @strawberry.field(
        description="The grid whose worker handles it.", graphql_type=PlaceType | None
    )
    def grid(self, info: Info) -> MaybeAwaitable[PlaceType | None]:
        grid_id = self.model.grid_id
        return PlaceType.load_now(info, grid_id) if grid_id else None

    @classmethod
    def prefetch(
        cls, info: Info, nodes: list[ReportType], selected: frozenset[str]
    ) -> Awaitable[Any] | None:
        """A page's reporters and assignees, photos and the viewer's endorsements, each in one
        DataLoader call, so that those fields answer without a task each (graphql/sync.py)."""
        actor = info.context.actor_now()
        if isawaitable(actor):  # not authenticated yet: the fields load as they go
            return None
        loaders = info.context.loaders
        loads: list[Awaitable[Any]] = []
        users: list[ObjectId] = []
        if "reporter" in selected:
            users += [
                n.model.reporter_id for n in nodes if service.can_see_reporter(actor, n.model)
            ]
        if "assignee" in selected:
            users += [n.model.assignee_id for n in nodes if n.model.assignee_id is not None]
        if users:
            loads.append(loaders.user.load_many(list(dict.fromkeys(users))))
        photos: list[ObjectId] = []
        if "photos" in selected:
            photos += [i for n in nodes for i in n.model.photo_ids]
        if "resolutionPhotos" in selected:
            photos += [i for n in nodes for i in n.model.resolution_photo_ids]
        if photos:
            loads.append(loaders.attachment.load_many(list(dict.fromkeys(photos))))
        if "viewerHasEndorsed" in selected and actor is not None:
            endorsed = [n.model.id for n in nodes if service.endorsed_by_anyone(n.model)]
            if endorsed:
                loads.append(loaders.endorsed.load_many(endorsed))
        return asyncio.gather(*loads) if loads else None

    @strawberry.field(
        description="Who reported it (null on an anonymous report, except for the community's "
        "staff).",
        graphql_type=UserType | None,
    )
    def reporter(self, info: Info) -> MaybeAwaitable[UserType | None]:
        def shaped(actor: Actor | None) -> MaybeAwaitable[UserType | None]:
            if not service.can_see_reporter(actor, self.model):
                return None
            # Seen as the reporter of this report: its handlers may need to call them.
            need = service.reporter_need(self.model)
            return then(
                loaded(info.context.loaders.user, self.model.reporter_id),
                lambda user: UserType.from_model(user, need) if user else None,
            )

        return then(info.context.actor_now(), shaped)

    @strawberry.field(
        description="The worker filing it for a resident without a smartphone.",
        graphql_type=UserType | None,
    )
    def entered_by(self, info: Info) -> MaybeAwaitable[UserType | None]:
        return _user(info, self.model.entered_by_id)

    @strawberry.field(
        description="The worker handling it, with a masked phone (138****0001) for its reporter "
        "while it is handled (and for staff of the worker's places, as ever).",
        graphql_type=UserType | None,
    )
    def assignee(self, info: Info) -> MaybeAwaitable[UserType | None]:
        assignee_id = self.model.assignee_id
        if assignee_id is None:
            return None
        # Seen as the handler of this report: its reporter gets a masked contact line.
        need = service.handler_need(self.model)
        return then(
            loaded(info.context.loaders.user, assignee_id),
            lambda user: UserType.from_model(user, need) if user else None,
        )

    @strawberry.field(description="The role its assignee handles it in (e.g. GRID_WORKER).")
    def assignee_role(self) -> Role | None:
        return self.model.assignee_role if self.model.assignee_id else None

    @strawberry.field(
        description="The unit (department) of the street or district it is dispatched to, "
        "which holds it until it resolves or returns it (null: the level holds it)."
    )
    async def handling_unit(self, info: Info) -> UnitType | None:
        unit_id = self.model.handling_unit_id
        if unit_id is None:
            return None
        unit = await info.context.loaders.unit.load(unit_id)
        return UnitType.from_model(unit) if unit else None

    @strawberry.field(description="The reporter's photos.", graphql_type=list[AttachmentType])
    def photos(self, info: Info) -> MaybeAwaitable[list[AttachmentType]]:
        return _attachments(info, self.model.photo_ids)

    @strawberry.field(description="Photos of the fixed problem.", graphql_type=list[AttachmentType])
    def resolution_photos(self, info: Info) -> MaybeAwaitable[list[AttachmentType]]:
        return _attachments(info, self.model.resolution_photo_ids)

    @strawberry.field(description='Whether the viewer has said "me too".', graphql_type=bool)
    def viewer_has_endorsed(self, info: Info) -> MaybeAwaitable[bool]:
        report_id = self.model.id

        def shaped(actor: Actor | None) -> MaybeAwaitable[bool]:
            if actor is None or not service.endorsed_by_anyone(self.model):
                return False
            return loaded(info.context.loaders.endorsed, report_id)

        return then(info.context.actor_now(), shaped)

    @strawberry.field(
        description="Whether the viewer follows it (is told of its status changes, staff "
        "comments and rejection)."
    )
    async def viewer_is_following(self, info: Info) -> bool:
        actor = await info.context.actor()
        if actor is None:
            return False
        return await info.context.loaders.following.load(self.model.id)

    @strawberry.field(
        description="What the viewer may do with it now.", graphql_type=ReportViewerCan
    )
    def viewer_can(self, info: Info) -> MaybeAwaitable[ReportViewerCan]:
        return then(info.context.actor_now(), self._viewer_can)

    def _viewer_can(self, actor: Actor | None) -> ReportViewerCan:
        report = self.model
        moves = {verb: service.may(actor, verb, report) for verb in service.Verb}
        # A unit's member accepts a dispatched report by taking it.
        taken = moves.pop(service.Verb.TAKE)
        moves[service.Verb.ACCEPT] = moves[service.Verb.ACCEPT] or taken
        returned = moves.pop(service.Verb.RETURN)
        return ReportViewerCan(
            **{verb.value: allowed for verb, allowed in moves.items()},
            return_=returned,
            comment=service.may_comment(actor, report),
        )

    @strawberry.field(
        description="The reporter's latest rating (kept when the report is reopened and "
        "resolved again, until they rate anew; every one is in `ratings`)."
    )
    def satisfaction(self) -> SatisfactionType | None:
        ratings = self.model.ratings
        rated = ratings[-1] if ratings else self.model.satisfaction
        return SatisfactionType.from_model(rated) if rated else None

    @strawberry.field(description="Every rating the reporter gave, oldest first.")
    def ratings(self) -> list[SatisfactionType]:
        return [SatisfactionType.from_model(r) for r in self.model.ratings]

    @strawberry.field(
        description="Every move, oldest first (a rating with its stars).",
        graphql_type=list[TimelineEntryType],
    )
    def timeline(self, info: Info) -> MaybeAwaitable[list[TimelineEntryType]]:
        if self.model.timeline is not None:
            return _timeline(self.model)
        return _whole_timeline(info, self.model.id)  # read for a list, which never shows it

    @strawberry.field(description="Neighbours' and staff's comments, oldest first.")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ReportCommentType]:
        page = await service.comments(info.context.deps, self.model, first=first, after=after)
        return Connection.of(page.map(lambda c: ReportCommentType.from_model(c, self.model)))

    @strawberry.field(description="Why the reporter withdrew it.")
    def withdrawal_reason(self) -> str | None:
        return self.model.withdrawal_reason

    @strawberry.field(description="The report this one duplicates (if the viewer may see it).")
    async def duplicate_of(self, info: Info) -> ReportType | None:
        original_id = self.model.duplicate_of_id
        return await ReportType.load(info, original_id) if original_id else None

    @strawberry.field(description="Reports marked duplicates of this one, that the viewer sees.")
    async def duplicates(self, info: Info) -> list[ReportType]:
        actor = await info.context.actor()
        found = await service.visible_reports(info.context.deps, actor, self.model.duplicate_ids)
        return [ReportType.from_model(r) for r in found]

    @strawberry.field(description="The answers to its category's questions.")
    def answers(self) -> list[AnswerType]:
        return [AnswerType(key=a.key, value=a.value) for a in self.model.answers]

    @strawberry.field(
        description="Tasks on the community's board spawned from this report.",
        graphql_type=list[TaskType],
    )
    def linked_tasks(self, info: Info) -> MaybeAwaitable[list[TaskType]]:
        if not self.model.linked_task_count:  # none was ever made from it: nothing to read
            return []
        tasks = loaded(info.context.loaders.tasks_from_report, self.model.id)
        return then(tasks, lambda found: [TaskType.from_model(t) for t in found])


@node_type
@strawberry.type(
    name="Unit",
    description="A department (城管, 市政, 物业...) of a street or district, to which its staff "
    "dispatch escalated reports (吹哨报到).",
)
class UnitType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The unit's name, e.g. 金山街道城管中队.")
    model: strawberry.Private[Unit]

    @classmethod
    def from_model(cls, unit: Unit) -> UnitType:
        return cls(id=str(unit.id), name=unit.name, model=unit)

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> UnitType | None:
        unit = await info.context.loaders.unit.load(object_id)
        if unit is None or not units.can_see_unit(await info.context.actor(), unit):
            return None
        return cls.from_model(unit)

    @strawberry.field(description="The street or district it belongs to.")
    async def place(self, info: Info) -> PlaceType | None:
        return await PlaceType.load(info, self.model.place_id)

    @strawberry.field(
        description="Its members: they see and handle what is dispatched to it (listed to its "
        "members and its place's staff; empty for others, e.g. a reporter seeing which unit "
        "handles the report)."
    )
    async def members(self, info: Info) -> list[UserType]:
        if not units.can_see_unit(await info.context.actor(), self.model):
            return []
        found = await info.context.loaders.user.load_many(self.model.member_ids)
        return [UserType.from_model(user) for user in found if user is not None]


@strawberry.input(name="ReportFilter", description="Narrow a list of reports.")
class ReportFilterInput:
    status: list[ReportStatus] | None = strawberry.field(default=None, description="Any of.")
    category: list[ReportCategory] | None = strawberry.field(default=None, description="Any of.")
    mine: bool | None = strawberry.field(default=None, description="Reported by the viewer.")
    assigned_to_me: bool | None = strawberry.field(
        default=None, description="Assigned to the viewer."
    )
    overdue: bool | None = strawberry.field(default=None, description="Past due, not resolved.")
    unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="Dispatched to this unit (吹哨报到)."
    )
    in_my_grids: bool | None = strawberry.field(
        default=None, description="In the grids the viewer looks after (a grid worker's queue)."
    )
    grid_id: strawberry.ID | None = strawberry.field(default=None, description="In this grid.")

    def to_model(self) -> service.ReportFilter | None:
        """The filter; None when one of its ids is malformed (the query then answers null, as
        for any malformed id: nothing can match it)."""
        unit_id = None if self.unit_id is None else from_global_id(self.unit_id, "Unit")
        grid_id = None if self.grid_id is None else from_global_id(self.grid_id, "Place")
        if (self.unit_id, unit_id).count(None) == 1 or (self.grid_id, grid_id).count(None) == 1:
            return None
        return service.ReportFilter(
            status=self.status,
            category=self.category,
            mine=bool(self.mine),
            assigned_to_me=bool(self.assigned_to_me),
            overdue=bool(self.overdue),
            unit_id=unit_id,
            in_my_grids=bool(self.in_my_grids),
            grid_id=grid_id,
        )


@strawberry.input(description="Report a problem.")
class SubmitReportInput:
    community_id: strawberry.ID = strawberry.field(description="The community it is in.")
    category: ReportCategory = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description="A short title (at most 60 characters).")
    description: str = strawberry.field(description="What is wrong (at most 2,000).")
    location: GeoPointInput = strawberry.field(description="Where, on the map.")
    address: str | None = strawberry.field(default=None, description="Where, in words.")
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Uploaded attachments (at most 9)."
    )
    anonymous: bool | None = strawberry.field(
        default=False, description="Hide the reporter from all but the community's staff."
    )
    visibility: ReportVisibility | None = strawberry.field(
        default=None, description="Default COMMUNITY; PRIVATE for neighbour disputes."
    )
    on_behalf_of_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff or grid workers: the resident this is filed for."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first report."
    )
    answers: list[AnswerInput] | None = strawberry.field(
        default=None,
        description="Answers to the category's questions (reportCategories); when given, the "
        "required ones must be among them.",
    )


@strawberry.type(description="The result of submitReport.")
class SubmitReportPayload(Payload):
    report: ReportType | None = strawberry.field(default=None, description="The new report.")
    possible_duplicates: list[ReportType] = strawberry.field(
        default_factory=list,
        description="Open reports of the same category within 100 m, with distanceMeters.",
    )


@strawberry.type(description="The result of a move of a report (accept, assign, ...).")
class ReportPayload(Payload):
    report: ReportType | None = strawberry.field(default=None, description="The report now.")


@strawberry.type(description="The result of commentOnReport.")
class CommentOnReportPayload(Payload):
    comment: ReportCommentType | None = strawberry.field(
        default=None, description="The new comment."
    )


@strawberry.input(description="Staff: accept a submitted report and set its priority.")
class AcceptReportInput:
    report_id: strawberry.ID
    priority: ReportPriority | None = strawberry.field(
        default=None, description="Default NORMAL (72 h)."
    )


@strawberry.input(description="Staff: assign an accepted report to a grid or community worker.")
class AssignReportInput:
    report_id: strawberry.ID
    assignee_id: strawberry.ID = strawberry.field(description="A worker of the community.")
    due_at: datetime | None = strawberry.field(
        default=None, description="Overrides the due time set by the priority."
    )


@strawberry.input(description="The assignee starts work.")
class StartReportInput:
    report_id: strawberry.ID


@strawberry.input(description="The assignee (or staff) marks it resolved.")
class ResolveReportInput:
    report_id: strawberry.ID
    note: str = strawberry.field(description="What was done.")
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="After-photos (uploaded attachments)."
    )


@strawberry.input(description="Staff: reject a report, with the reason the reporter will see.")
class RejectReportInput:
    report_id: strawberry.ID
    reason: str


@strawberry.input(description="Raise a report to the street, then the district.")
class EscalateReportInput:
    report_id: strawberry.ID
    reason: str


@strawberry.input(description="The reporter rates the resolution.")
class RateReportInput:
    report_id: strawberry.ID
    rating: int = strawberry.field(description="1–5; 1 or 2 reopens the report.")
    comment: str | None = None


@strawberry.input(description="Close a resolved report (its reporter or staff).")
class CloseReportInput:
    report_id: strawberry.ID


@strawberry.input(description="The reporter withdraws a report staff have not accepted yet.")
class WithdrawReportInput:
    report_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Why (kept on the report).")


@strawberry.input(description="Staff: close a report as a duplicate of another.")
class MarkReportDuplicateInput:
    report_id: strawberry.ID = strawberry.field(description="The duplicate.")
    duplicate_of_id: strawberry.ID = strawberry.field(
        description="The original, in the same community; followers and endorsements go to it."
    )


@strawberry.input(description='Say "me too" to a neighbour\'s report (once).')
class EndorseReportInput:
    report_id: strawberry.ID


@strawberry.input(description="Follow or unfollow a report the viewer may see.")
class FollowReportInput:
    report_id: strawberry.ID


@strawberry.input(description="Comment on a report.")
class CommentOnReportInput:
    report_id: strawberry.ID
    body: str
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first comment."
    )


@strawberry.input(description="A unit (department) of a street or district.")
class CreateUnitInput:
    place_id: strawberry.ID = strawberry.field(description="The street or district.")
    name: str = strawberry.field(description="Its name (at most 40 characters, unique there).")


@strawberry.input(description="Add a member to a unit.")
class AddUnitMemberInput:
    unit_id: strawberry.ID = strawberry.field(description="The unit.")
    user_id: strawberry.ID = strawberry.field(description="The person.")


@strawberry.type(description="The result of createUnit and addUnitMember.")
class UnitPayload(Payload):
    unit: UnitType | None = strawberry.field(default=None, description="The unit now.")


@strawberry.input(description="吹哨报到: send an escalated report to a unit of its level.")
class DispatchReportInput:
    report_id: strawberry.ID = strawberry.field(description="The report.")
    unit_id: strawberry.ID = strawberry.field(
        description="A unit of the street or district the report is escalated to."
    )
    note: str | None = strawberry.field(default=None, description="What to do (at most 500).")


@strawberry.input(description="Send a dispatched report back to the level that dispatched it.")
class ReturnReportInput:
    report_id: strawberry.ID = strawberry.field(description="The report.")
    reason: str = strawberry.field(description="Why (required, at most 500 characters).")


@strawberry.input(description="A map's box (capped to 0.5° of latitude and of longitude).")
class BoundingBoxInput:
    south_west: GeoPointInput = strawberry.field(description="The south-west corner.")
    north_east: GeoPointInput = strawberry.field(description="The north-east corner.")
