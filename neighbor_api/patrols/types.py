"""GraphQL types of patrols."""

from __future__ import annotations

from datetime import datetime

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.accounts.types import UserType
from neighbor_api.attachments.types import AttachmentType
from neighbor_api.context import Info
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import node_type
from neighbor_api.patrols import service
from neighbor_api.patrols.models import Patrol
from neighbor_api.places.types import GeoPointInput, PlaceType
from neighbor_api.reports.models import Report
from neighbor_api.reports.types import ReportType


@node_type
@strawberry.type(
    name="Patrol",
    description="A round (巡查) a grid worker walked through their grid, logged afterwards.",
)
class PatrolType(relay.Node):
    id: relay.NodeID[str]
    started_at: datetime = strawberry.field(description="When the round began.")
    ended_at: datetime = strawberry.field(description="When the round ended.")
    distance_meters: float = strawberry.field(
        description="The length of the track (great-circle legs between its points), in metres, "
        "to one decimal."
    )
    point_count: int = strawberry.field(description="How many points the track has.")
    note: str | None = strawberry.field(description="What the worker noted on the way.")
    model: strawberry.Private[Patrol]
    # The reports named, when the mutation that logged it read them already.
    finding_models: strawberry.Private[list[Report] | None] = None

    @classmethod
    def from_model(cls, patrol: Patrol, findings: list[Report] | None = None) -> PatrolType:
        return cls(
            id=str(patrol.id),
            started_at=patrol.started_at,
            ended_at=patrol.ended_at,
            distance_meters=patrol.distance_meters,
            point_count=patrol.point_count,
            note=patrol.note,
            model=patrol,
            finding_models=findings,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> PatrolType | None:
        actor = await info.context.actor()
        patrol = await service.get_patrol(info.context.deps, actor, object_id)
        return cls.from_model(patrol) if patrol else None

    @strawberry.field(description="The grid walked.")
    async def grid(self, info: Info) -> PlaceType | None:
        return await PlaceType.load(info, self.model.grid_id)

    @strawberry.field(description="The grid worker who walked it.")
    async def worker(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.model.worker_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(description="The reports filed on the way (those the viewer may see).")
    async def findings(self, info: Info) -> list[ReportType]:
        actor = await info.context.actor()
        reports = self.finding_models
        if reports is None:
            reports = await service.findings(info.context.deps, actor, self.model)
        return [ReportType.from_model(r) for r in reports]

    @strawberry.field(description="Photos taken on the way.")
    async def photos(self, info: Info) -> list[AttachmentType]:
        found = await info.context.loaders.attachment.load_many(self.model.photo_ids)
        return [AttachmentType.from_model(a) for a in found if a is not None]


@strawberry.input(
    description="A grid worker logs a round after walking it (sent in one call, offline-friendly)."
)
class LogPatrolInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid walked (the worker's own).")
    started_at: datetime = strawberry.field(description="When the round began (with an offset).")
    ended_at: datetime = strawberry.field(
        description="When it ended: after startedAt, not in the future, at most 24 h later."
    )
    track: list[GeoPointInput] = strawberry.field(
        description="The points walked, in order: 2 to 5,000, each within 3 km of the grid's "
        "community."
    )
    note: str | None = strawberry.field(default=None, description="At most 1,000 characters.")
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Uploaded attachments (at most 9)."
    )
    finding_report_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Reports the worker filed on the way (at most 50)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first patrol."
    )


@strawberry.type(description="The result of logPatrol.")
class LogPatrolPayload(Payload):
    patrol: PatrolType | None = strawberry.field(default=None, description="The patrol logged.")
