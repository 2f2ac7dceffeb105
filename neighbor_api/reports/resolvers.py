"""Resident reports: the queues, the detail, submitting, and the staff workflow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from bson import ObjectId

from neighbor_api.context import Info
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.errors import mutation_runner, run_mutation
from neighbor_api.graphql.relay import (
    Connection,
    from_global_id,
    input_id,
    input_ids,
    optional_input_id,
)
from neighbor_api.places.types import GeoPointInput
from neighbor_api.reports import service, units
from neighbor_api.reports.models import Report, ReportCategory, ReportOrder, Unit
from neighbor_api.reports.service import ReportFilter
from neighbor_api.reports.types import (
    AcceptReportInput,
    AddUnitMemberInput,
    AssignReportInput,
    BoundingBoxInput,
    CloseReportInput,
    CommentOnReportInput,
    CommentOnReportPayload,
    CreateUnitInput,
    DispatchReportInput,
    EndorseReportInput,
    EscalateReportInput,
    FollowReportInput,
    MarkReportDuplicateInput,
    RateReportInput,
    RejectReportInput,
    ReportCategoryInfoType,
    ReportCommentType,
    ReportFilterInput,
    ReportPayload,
    ReportType,
    ResolveReportInput,
    ReturnReportInput,
    StartReportInput,
    SubmitReportInput,
    SubmitReportPayload,
    UnitPayload,
    UnitType,
    WithdrawReportInput,
)


def _report(report: Report) -> ReportPayload:
    return ReportPayload(report=ReportType.from_model(report))


# A staff-workflow mutation: the report it moved, or why not.
_move = mutation_runner(ReportPayload, _report)


def _submitted(submitted: service.Submitted) -> SubmitReportPayload:
    return SubmitReportPayload(
        report=ReportType.from_model(submitted.report),
        possible_duplicates=[ReportType.from_model(r, d) for r, d in submitted.possible_duplicates],
    )


def _endorsed(info: Info, report: Report) -> ReportPayload:
    # The viewer has endorsed it now (or had already): viewerHasEndorsed reads nothing.
    info.context.loaders.endorsed.prime(report.id, True)
    info.context.loaders.following.prime(report.id, True)  # endorsing follows
    return _report(report)


def _followed(info: Info, report: Report, following: bool) -> ReportPayload:
    info.context.loaders.following.prime(report.id, following)
    return _report(report)


def _report_id(report_id: strawberry.ID) -> ObjectId:
    return input_id(report_id, "Report", "reportId")


K = TypeVar("K")


async def _report_page(
    info: Info,
    key: Callable[[], K | None],
    filter: ReportFilterInput | None,
    fetch: Callable[[Actor, K, ReportFilter], Awaitable[Page[Report] | None]],
) -> Connection[ReportType] | None:
    """The one rule of the report lists: the viewer must be signed in; a malformed id (`key`
    gives None) or filter answers null, as does a list the viewer may not see (`fetch` gives
    None); else the page."""
    actor = await info.context.require_actor()
    found = key()
    criteria = (filter or ReportFilterInput()).to_model()
    if found is None or criteria is None:
        return None
    page = await fetch(actor, found, criteria)
    return Connection.of(page.map(ReportType.from_model)) if page else None


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="The categories a report in this community may have, with labels in the "
        "request's language, descriptions and questions (null: no such community)."
    )
    async def report_categories(
        self, info: Info, community_id: strawberry.ID
    ) -> list[ReportCategoryInfoType] | None:
        place_id = from_global_id(community_id, "Place")
        found = await service.report_categories(info.context.deps, place_id) if place_id else None
        if found is None:
            return None
        return [ReportCategoryInfoType.from_model(c, info.context.locale) for c in found]

    @strawberry.field(description="A report, if the viewer may see it.")
    async def report(self, info: Info, id: strawberry.ID) -> ReportType | None:
        object_id = from_global_id(id, "Report")
        return await ReportType.load(info, object_id) if object_id else None

    @strawberry.field(
        description="A community's reports as the viewer may see them (null for outsiders)."
    )
    async def reports(
        self,
        info: Info,
        community_id: strawberry.ID,
        filter: ReportFilterInput | None = None,
        order_by: ReportOrder | None = ReportOrder.NEWEST,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReportType] | None:
        return await _report_page(
            info, lambda: from_global_id(community_id, "Place"), filter,
            lambda actor, place_id, criteria: service.list_reports(
                info.context.deps, actor, community_id=place_id, criteria=criteria,
                order=order_by or ReportOrder.NEWEST, first=first, after=after,
                endorsed=info.context.loaders.endorsed.prime_many,
            ),
        )  # fmt: skip

    @strawberry.field(
        description="Before submitting: open reports of the community (of `category` when "
        "given) within `radiusMeters` (default 100, at most 1,000) that the viewer may see, "
        "nearest first, with distanceMeters (at most 10); null for a malformed id."
    )
    async def similar_reports(
        self,
        info: Info,
        community_id: strawberry.ID,
        location: GeoPointInput,
        category: ReportCategory | None = None,
        radius_meters: int | None = None,
    ) -> list[ReportType] | None:
        actor = await info.context.require_actor()
        place_id = from_global_id(community_id, "Place")
        if place_id is None:
            return None
        found = await service.similar_reports(
            info.context.deps, actor, community_id=place_id, location=location.to_model(),
            category=category, radius_meters=radius_meters,
        )  # fmt: skip
        return [ReportType.from_model(r, d) for r, d in found]

    @strawberry.field(
        description="Reports the viewer may see within `radiusMeters` (at most 5,000), nearest "
        "first."
    )
    async def reports_nearby(
        self,
        info: Info,
        near: GeoPointInput,
        radius_meters: int,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReportType]:
        actor = await info.context.require_actor()
        point = near.to_model()
        if point is None:
            raise DomainError.of(ErrorCode.INVALID_INPUT, field=("near",))
        page = await service.reports_nearby(
            info.context.deps, actor, near=point, radius_meters=radius_meters, first=first,
            after=after,
        )  # fmt: skip
        return Connection.of(page.map(lambda item: ReportType.from_model(*item)))

    @strawberry.field(
        description="Street and district staff: reports escalated to that place (null for others)."
    )
    async def escalated_reports(
        self,
        info: Info,
        place_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReportType] | None:
        return await _report_page(
            info, lambda: from_global_id(place_id, "Place"), None,
            lambda actor, object_id, _: service.escalated_reports(
                info.context.deps, actor, place_id=object_id, first=first, after=after
            ),
        )  # fmt: skip

    @strawberry.field(
        description="Street, district and city staff: every report under the place, with the "
        "filters and orders of `reports` (a community id works as `reports` does); null for a "
        "place the viewer may not list."
    )
    async def place_reports(
        self,
        info: Info,
        place_id: strawberry.ID,
        filter: ReportFilterInput | None = None,
        order_by: ReportOrder | None = ReportOrder.NEWEST,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReportType] | None:
        return await _report_page(
            info, lambda: from_global_id(place_id, "Place"), filter,
            lambda actor, object_id, criteria: service.place_reports(
                info.context.deps, actor, place_id=object_id, criteria=criteria,
                order=order_by or ReportOrder.NEWEST, first=first, after=after,
            ),
        )  # fmt: skip

    @strawberry.field(
        description="For maps: the reports in a box that the viewer may see, newest first (at "
        "most 100; a box wider or taller than 0.5° is cut to 0.5° around its centre); null for "
        "a malformed id in the filter."
    )
    async def reports_in_area(
        self,
        info: Info,
        box: BoundingBoxInput,
        filter: ReportFilterInput | None = None,
        first: int | None = None,
    ) -> Connection[ReportType] | None:
        return await _report_page(
            info, lambda: service.capped_box(box.south_west.to_model(), box.north_east.to_model()),
            filter,
            lambda actor, capped, criteria: service.reports_in_area(
                info.context.deps, actor, box=capped, criteria=criteria, first=first
            ),
        )  # fmt: skip

    @strawberry.field(
        description="The units (departments) of a street or district: all for its staff, a "
        "member's own for a member (null for a malformed id)."
    )
    async def units(self, info: Info, place_id: strawberry.ID) -> list[UnitType] | None:
        actor = await info.context.require_actor()
        object_id = from_global_id(place_id, "Place")
        if object_id is None:
            return None
        found = await units.units_of_place(info.context.deps, actor, place_id=object_id)
        return [UnitType.from_model(unit) for unit in found]

    @strawberry.field(
        description="What a unit holds and has still to do, newest first: for its members and "
        "its place's staff (null for others)."
    )
    async def unit_queue(
        self,
        info: Info,
        unit_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReportType] | None:
        return await _report_page(
            info, lambda: from_global_id(unit_id, "Unit"), None,
            lambda actor, object_id, _: units.unit_queue(
                info.context.deps, actor, unit_id=object_id, first=first, after=after
            ),
        )  # fmt: skip


def _unit(info: Info, unit: Unit) -> UnitPayload:
    info.context.loaders.unit.prime(unit.id, unit)
    return UnitPayload(unit=UnitType.from_model(unit))


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Report a problem. The payload lists open reports of the same category "
        "within 100 m."
    )
    async def submit_report(self, info: Info, input: SubmitReportInput) -> SubmitReportPayload:
        return await run_mutation(
            info, SubmitReportPayload,
            lambda actor: service.submit_report(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                category=input.category, title=input.title, description=input.description,
                location=input.location.to_model(), address=input.address,
                photo_ids=input_ids(input.photo_ids, "Attachment", "photoIds"),
                anonymous=bool(input.anonymous), visibility=input.visibility,
                on_behalf_of_id=optional_input_id(input.on_behalf_of_id, "User", "onBehalfOfId"),
                idempotency_key=input.idempotency_key,
                answers=None if input.answers is None else [a.to_model() for a in input.answers],
            ),
            _submitted,
        )  # fmt: skip

    @strawberry.mutation(description="Staff: accept a submitted report; its priority sets dueAt.")
    async def accept_report(self, info: Info, input: AcceptReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.accept_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                priority=input.priority,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Staff: assign (or reassign) a report to a worker.")
    async def assign_report(self, info: Info, input: AssignReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.assign_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                assignee_id=input_id(input.assignee_id, "User", "assigneeId"),
                due_at=input.due_at,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="The assignee starts work on a report.")
    async def start_report(self, info: Info, input: StartReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.start_report(
                info.context.deps, actor, report_id=_report_id(input.report_id)
            ),
        )

    @strawberry.mutation(description="The assignee (or staff) resolves a report.")
    async def resolve_report(self, info: Info, input: ResolveReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.resolve_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                note=input.note, photo_ids=input_ids(input.photo_ids, "Attachment", "photoIds"),
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Staff: reject a submitted or accepted report.")
    async def reject_report(self, info: Info, input: RejectReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.reject_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                reason=input.reason,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Raise a report to the street, then the district.")
    async def escalate_report(self, info: Info, input: EscalateReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.escalate_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                reason=input.reason,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="The reporter rates the resolution: 1–2 reopens it, 3–5 closes it."
    )
    async def rate_report(self, info: Info, input: RateReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.rate_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                rating=input.rating, comment=input.comment,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Close a resolved report (its reporter or staff).")
    async def close_report(self, info: Info, input: CloseReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.close_report(
                info.context.deps, actor, report_id=_report_id(input.report_id)
            ),
        )

    @strawberry.mutation(
        description="The reporter withdraws a report before staff accept it (reason kept)."
    )
    async def withdraw_report(self, info: Info, input: WithdrawReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.withdraw_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                reason=input.reason,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Staff: close an open report as a duplicate of another of the community "
        "(followers and endorsements go to the original; the reporter is told why)."
    )
    async def mark_report_duplicate(
        self, info: Info, input: MarkReportDuplicateInput
    ) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.mark_report_duplicate(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                duplicate_of_id=input_id(input.duplicate_of_id, "Report", "duplicateOfId"),
            ),
        )  # fmt: skip

    @strawberry.mutation(description='Say "me too" (once; a repeat changes nothing).')
    async def endorse_report(self, info: Info, input: EndorseReportInput) -> ReportPayload:
        return await run_mutation(
            info, ReportPayload,
            lambda actor: service.endorse_report(
                info.context.deps, actor, report_id=_report_id(input.report_id)
            ),
            lambda report: _endorsed(info, report),
        )  # fmt: skip

    @strawberry.mutation(
        description="Follow a report the viewer may see (else NOT_FOUND): be told of its status "
        "changes, staff comments and rejection. A repeat changes nothing."
    )
    async def follow_report(self, info: Info, input: FollowReportInput) -> ReportPayload:
        return await run_mutation(
            info, ReportPayload,
            lambda actor: service.follow_report(
                info.context.deps, actor, report_id=_report_id(input.report_id)
            ),
            lambda report: _followed(info, report, True),
        )  # fmt: skip

    @strawberry.mutation(description="Stop following a report (not following: no change).")
    async def unfollow_report(self, info: Info, input: FollowReportInput) -> ReportPayload:
        return await run_mutation(
            info, ReportPayload,
            lambda actor: service.unfollow_report(
                info.context.deps, actor, report_id=_report_id(input.report_id)
            ),
            lambda report: _followed(info, report, False),
        )  # fmt: skip

    @strawberry.mutation(description="Comment on a report.")
    async def comment_on_report(
        self, info: Info, input: CommentOnReportInput
    ) -> CommentOnReportPayload:
        return await run_mutation(
            info, CommentOnReportPayload,
            lambda actor: service.comment_on_report(
                info.context.deps, actor, report_id=_report_id(input.report_id), body=input.body,
                idempotency_key=input.idempotency_key,
            ),
            lambda found: CommentOnReportPayload(comment=ReportCommentType.from_model(*found)),
        )  # fmt: skip

    @strawberry.mutation(description="Street or district staff: create a unit (department).")
    async def create_unit(self, info: Info, input: CreateUnitInput) -> UnitPayload:
        return await run_mutation(
            info, UnitPayload,
            lambda actor: units.create_unit(
                info.context.deps, actor, place_id=input_id(input.place_id, "Place", "placeId"),
                name=input.name,
            ),
            lambda unit: _unit(info, unit),
        )  # fmt: skip

    @strawberry.mutation(description="Street or district staff: add a member to a unit.")
    async def add_unit_member(self, info: Info, input: AddUnitMemberInput) -> UnitPayload:
        return await run_mutation(
            info, UnitPayload,
            lambda actor: units.add_unit_member(
                info.context.deps, actor, unit_id=input_id(input.unit_id, "Unit", "unitId"),
                user_id=input_id(input.user_id, "User", "userId"),
            ),
            lambda unit: _unit(info, unit),
        )  # fmt: skip

    @strawberry.mutation(
        description="吹哨报到: staff of the street or district a report is escalated to send it "
        "to one of that place's units; its members are told."
    )
    async def dispatch_report(self, info: Info, input: DispatchReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.dispatch_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                unit_id=input_id(input.unit_id, "Unit", "unitId"), note=input.note,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="A member of the unit holding a report sends it back, with the reason, to "
        "the level that dispatched it; that level's staff are told."
    )
    async def return_report(self, info: Info, input: ReturnReportInput) -> ReportPayload:
        return await _move(
            info,
            lambda actor: service.return_report(
                info.context.deps, actor, report_id=_report_id(input.report_id),
                reason=input.reason,
            ),
        )  # fmt: skip
