"""Patrols: a grid's rounds, and logging one."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import Connection, input_id, input_ids, page_under
from neighbor_api.patrols import service
from neighbor_api.patrols.types import LogPatrolInput, LogPatrolPayload, PatrolType


def _logged(logged: service.Logged) -> LogPatrolPayload:
    return LogPatrolPayload(patrol=PatrolType.from_model(logged.patrol, logged.findings))


@strawberry.type
class PatrolQuery:
    @strawberry.field(
        description="A grid's patrols, the latest first: for its grid workers and the staff of "
        "its community and above (null for anyone else, and for anything but a grid)."
    )
    async def patrols(
        self, info: Info, grid_id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[PatrolType] | None:
        return await page_under(
            info, grid_id, "Place",
            lambda actor, object_id: service.patrols_of_grid(
                info.context.deps, actor, grid_id=object_id, first=first, after=after
            ),
            PatrolType.from_model,
        )  # fmt: skip


@strawberry.type
class PatrolMutation:
    @strawberry.mutation(
        description="A grid worker of the grid logs a round after walking it: the track, a "
        "note, photos and the reports filed on the way, in one call (idempotent with "
        "idempotencyKey)."
    )
    async def log_patrol(self, info: Info, input: LogPatrolInput) -> LogPatrolPayload:
        async def action(actor: Actor) -> service.Logged:
            return await service.log_patrol(
                info.context.deps,
                actor,
                grid_id=input_id(input.grid_id, "Place", "gridId"),
                started_at=input.started_at,
                ended_at=input.ended_at,
                track=[(p.lat, p.lng) for p in input.track],
                note=input.note,
                photo_ids=input_ids(input.photo_ids, "Attachment", "photoIds"),
                finding_ids=input_ids(input.finding_report_ids, "Report", "findingReportIds"),
                idempotency_key=input.idempotency_key,
            )

        return await run_mutation(info, LogPatrolPayload, action, _logged)
