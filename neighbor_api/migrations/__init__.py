"""The data changes, in order (the runner is `core/migrations.py`).

Adding one: a module `mNNNN_what.py` with an idempotent `apply(db)` and its `STEP`, and a line
here. A step names collections and fields literally, as they are when it is written (never
through today's repositories), so it still means the same once the code moves on.
"""

from __future__ import annotations

from neighbor_api.core.migrations import Step
from neighbor_api.migrations import (
    m0001_baseline,
    m0002_user_locale,
    m0003_report_audience,
    m0004_report_rollups,
    m0005_report_follows,
    m0006_report_cells,
    m0007_rollup_milestones,
    m0008_escalation_queue,
    m0009_report_grid_audience,
    m0010_points_economy,
    m0011_report_totals,
    m0012_report_live_cells,
    m0013_report_linked_tasks,
)

STEPS: tuple[Step, ...] = (
    m0001_baseline.STEP,
    m0002_user_locale.STEP,
    m0003_report_audience.STEP,
    m0004_report_rollups.STEP,
    m0005_report_follows.STEP,
    m0006_report_cells.STEP,
    m0007_rollup_milestones.STEP,
    m0008_escalation_queue.STEP,
    m0009_report_grid_audience.STEP,
    m0010_points_economy.STEP,
    m0011_report_totals.STEP,
    m0012_report_live_cells.STEP,
    m0013_report_linked_tasks.STEP,
)
