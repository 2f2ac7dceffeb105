"""Resident issue reports (居民诉求 / 随手拍): the documents and the state machine's vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field, computed_field

from neighbor_api.core.geo import cell_of, fine_cell_of
from neighbor_api.core.idempotency import Idempotency
from neighbor_api.core.models import StoredModel
from neighbor_api.core.mongo import Document
from neighbor_api.core.policy import Role
from neighbor_api.places.models import GeoPoint


class ReportCategory(StrEnum):
    REPAIR = "REPAIR"
    ENVIRONMENT = "ENVIRONMENT"
    SAFETY_HAZARD = "SAFETY_HAZARD"
    TRAFFIC = "TRAFFIC"
    NEIGHBOR_DISPUTE = "NEIGHBOR_DISPUTE"
    PROPERTY_MANAGEMENT = "PROPERTY_MANAGEMENT"
    PUBLIC_ORDER = "PUBLIC_ORDER"
    OTHER = "OTHER"


class ReportStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    # Withdrawn by the reporter before acceptance; closed as a duplicate of another report.
    WITHDRAWN = "WITHDRAWN"
    DUPLICATE = "DUPLICATE"


class ReportPriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class ReportVisibility(StrEnum):
    COMMUNITY = "COMMUNITY"
    PRIVATE = "PRIVATE"


class ReportAction(StrEnum):
    """What happened, on the timeline."""

    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    ASSIGNED = "ASSIGNED"
    STARTED = "STARTED"
    RESOLVED = "RESOLVED"
    REJECTED = "REJECTED"
    ESCALATED = "ESCALATED"
    RATED = "RATED"
    REOPENED = "REOPENED"
    CLOSED = "CLOSED"
    # 吹哨报到: the street or district sends it to one of its units, which may send it back.
    DISPATCHED = "DISPATCHED"
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"
    MARKED_DUPLICATE = "MARKED_DUPLICATE"


class EscalationLevel(StrEnum):
    COMMUNITY = "COMMUNITY"
    STREET = "STREET"
    DISTRICT = "DISTRICT"


class ReportOrder(StrEnum):
    NEWEST = "NEWEST"
    OLDEST = "OLDEST"
    MOST_ENDORSED = "MOST_ENDORSED"
    DUE_SOONEST = "DUE_SOONEST"


# How long staff have from acceptance, by priority.
SLA: dict[ReportPriority, timedelta] = {
    ReportPriority.URGENT: timedelta(hours=4),
    ReportPriority.HIGH: timedelta(hours=24),
    ReportPriority.NORMAL: timedelta(hours=72),
    ReportPriority.LOW: timedelta(days=7),
}
# Resolved reports the reporter has not rated close by themselves after this.
AUTO_CLOSE_AFTER = timedelta(days=7)
# Statuses in which work is still owed: these can be overdue and are "open" for duplicates.
OPEN_STATUSES = frozenset(
    {
        ReportStatus.SUBMITTED,
        ReportStatus.ACCEPTED,
        ReportStatus.ASSIGNED,
        ReportStatus.IN_PROGRESS,
    }
)
DUE_STATUSES = frozenset({ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS})
# Sorts after every real due time, so "due soonest" puts reports without one last.
NO_DUE_DATE = datetime(9999, 1, 1, tzinfo=UTC)


class TimelineEntry(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    at: datetime
    action: ReportAction
    from_status: ReportStatus | None = None
    to_status: ReportStatus | None = None
    note: str | None = None
    # None: the system (e.g. the automatic close).
    actor_id: ObjectId | None = None
    # The stars of a RATED entry (entries written before it was kept: see `ratings`).
    rating: int | None = None


class Answer(BaseModel):
    """The answer to one of the category's questions (`reports/categories.py`), as text."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: str


class Satisfaction(BaseModel):
    model_config = ConfigDict(frozen=True)

    rating: int
    comment: str | None = None
    rated_at: datetime


# Who may see a report, as keys stored on it (`audience`) and held by viewers
# (`reports.service.viewer_keys`): a report is visible to a viewer holding any of its keys.
# One multikey index then serves every viewer's list with a flat `$in`, where a top-level `$or`
# would make the embedded server scan.
def user_key(user_id: ObjectId) -> str:
    """The reporter, the assignee and the worker who filed it."""
    return f"user:{user_id}"


def staff_key(place_id: ObjectId) -> str:
    """Staff of a place on the report's path (its community or above)."""
    return f"staff:{place_id}"


def grid_key(grid_id: ObjectId) -> str:
    """The workers of the grid the report lies in (its first handlers)."""
    return f"grid:{grid_id}"


def member_key(place_id: ObjectId) -> str:
    """Members of a place on the path of a COMMUNITY report."""
    return f"member:{place_id}"


class Unit(StoredModel):
    """A department (城管, 市政, 物业...) of a street or district, to which that level's staff
    dispatch escalated reports (吹哨报到: the street blows the whistle, departments report)."""

    place_id: ObjectId
    # The place's path (city, district[, street]): who manages the unit.
    place_path: list[ObjectId]
    name: str
    member_ids: list[ObjectId] = Field(default_factory=list)
    created_at: datetime


class Report(StoredModel):
    number: str
    community_id: ObjectId
    # The community's place path (city, district, street, community).
    place_path: list[ObjectId]
    # The grid its point lies in (routed at submission): its worker handles it first.
    grid_id: ObjectId | None = None
    reporter_id: ObjectId
    # The worker who filed it for the reporter (a resident without a smartphone).
    entered_by_id: ObjectId | None = None
    category: ReportCategory
    title: str
    description: str
    location: GeoPoint
    address: str | None = None
    photo_ids: list[ObjectId] = Field(default_factory=list)
    # The answers to its category's questions.
    answers: list[Answer] = Field(default_factory=list)
    anonymous: bool = False
    visibility: ReportVisibility
    status: ReportStatus = ReportStatus.SUBMITTED
    priority: ReportPriority | None = None
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    due_key: datetime = NO_DUE_DATE
    assignee_id: ObjectId | None = None
    # The role the assignee handles it in (GRID_WORKER, COMMUNITY_WORKER, ADMIN).
    assignee_role: Role | None = None
    resolved_at: datetime | None = None
    resolution_note: str | None = None
    resolution_photo_ids: list[ObjectId] = Field(default_factory=list)
    closed_at: datetime | None = None
    rejection_reason: str | None = None
    # Why the reporter withdrew it.
    withdrawal_reason: str | None = None
    # The report this one duplicates, and those marked duplicates of this one.
    duplicate_of_id: ObjectId | None = None
    duplicate_ids: list[ObjectId] = Field(default_factory=list)
    escalation_level: EscalationLevel = EscalationLevel.COMMUNITY
    # The street and district places it has been escalated to (their escalation queues).
    escalated_to: list[ObjectId] = Field(default_factory=list)
    # The unit of the street or district (at `escalation_level`) it is dispatched to, and that
    # unit's members when dispatched (kept up to date by `addUnitMember`): they see it and
    # handle it until they resolve it or return it to the level (None: the level holds it).
    handling_unit_id: ObjectId | None = None
    unit_member_ids: list[ObjectId] = Field(default_factory=list)
    # The rating of the latest resolution (None until rated) ...
    satisfaction: Satisfaction | None = None
    # ... and every rating ever given, oldest first (for satisfaction figures).
    ratings: list[Satisfaction] = Field(default_factory=list)
    # The reporter may rate once per resolution.
    rated_resolution: bool = False
    endorsement_count: int = 0
    comment_count: int = 0
    # How many people follow it (`report_follows`; the reporter and endorsers automatically).
    follower_count: int = 0
    # How many tasks were made from it (`createTask` with `sourceReportId`), counted with each
    # task and never taken back: at 0 `linkedTasks` reads nothing.
    linked_task_count: int = 0
    # Every move, oldest first; None on a report read for a list (`repository.LISTED`).
    timeline: list[TimelineEntry] | None = Field(default_factory=list)
    idempotency: Idempotency | None = None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def audience(self) -> list[str]:
        """The keys of who may see it (stored, indexed; recomputed by every write that changes
        the assignee; see `reports.service.can_see`)."""
        keys = [staff_key(place) for place in self.place_path]
        if self.grid_id is not None:
            keys.append(grid_key(self.grid_id))
        if self.visibility is ReportVisibility.COMMUNITY:
            keys += [member_key(place) for place in self.place_path]
        people = (self.reporter_id, self.assignee_id, self.entered_by_id, *self.unit_member_ids)
        keys += [user_key(person) for person in dict.fromkeys(people) if person is not None]
        return keys

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cell(self) -> int:
        """The map cell of its point (stored, indexed: circles are read by cell, see core/geo)."""
        return cell_of(*self.location.coordinates)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fine_cell(self) -> int:
        """The fine map cell of its point (stored, indexed: `ReportsNearby` reads ring by
        ring of these, see core/geo `Rings`)."""
        return fine_cell_of(*self.location.coordinates)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def live_cell(self) -> int | None:
        """Its `fine_cell` while it is open (OPEN_STATUSES), else absent from the stored
        document: the sparse index `live_cell` holds only the open reports, which possible
        duplicates and similar reports read (`repository.open_near`). Kept by every move
        (`repository.transition`)."""
        return live_cell_of(self.status, self.fine_cell)

    def to_document(self) -> Document:
        document = super().to_document()
        if document.get("live_cell") is None:
            document.pop("live_cell", None)
        return document

    def is_overdue(self, now: datetime) -> bool:
        return self.status in DUE_STATUSES and self.due_at is not None and self.due_at < now


def live_cell_of(status: ReportStatus, fine_cell: int) -> int | None:
    """The `live_cell` of a report in `status`: its fine cell while open (OPEN_STATUSES), none
    otherwise (a reopened report is live again)."""
    return fine_cell if status in OPEN_STATUSES else None


class Endorsement(StoredModel):
    report_id: ObjectId
    user_id: ObjectId
    created_at: datetime


class Comment(StoredModel):
    report_id: ObjectId
    author_id: ObjectId
    body: str
    created_at: datetime
    idempotency: Idempotency | None = None
