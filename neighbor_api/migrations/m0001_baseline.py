"""Step 1: the first edition's data (commit 8a62e36), as it is.

Nothing to change: recording it marks where this database's history starts, so every later
step knows the shape it starts from (a database created by this release records it at once).
"""

from __future__ import annotations

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database


async def apply(db: Database) -> None:
    return None


STEP = Step(1, "baseline", apply)
