"""Step 8: the escalation queues' index follows dispatch (吹哨报到).

From this release a street's or district's escalation queue lists what that level holds: its
own level's reports not dispatched to a unit (`escalation_level`, `handling_unit_id`), planned
on the new index `escalated_held` (created at start-up, before the steps). The index it
replaces, `escalated_status_newest`, is no longer read by any query and only slows writes:
this step drops it where it exists, so running it again changes nothing. Reports need no
change: one never dispatched has no `handling_unit_id`, which the queue's `null` matches.
"""

from __future__ import annotations

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

OLD_INDEX = "escalated_status_newest"


async def apply(db: Database) -> None:
    if OLD_INDEX in await db["reports"].index_information():
        await db["reports"].drop_index(OLD_INDEX)


STEP = Step(8, "escalation_queue", apply)
