"""The dashboard's shared reads (stats/repository.py `together`): aggregates with the same
leading `$match` asked for together are ONE command, a `$facet` of their stages, and answer
what each answers alone — on the embedded server, with the stages the dashboard uses
(`$group` by child, `$median`, `$unwind`, `$sort`/`$limit`)."""

from __future__ import annotations

from neighbor_api.core.deps import Deps
from neighbor_api.places import repository as places_repository
from neighbor_api.places.models import PlaceLevel
from neighbor_api.stats import repository
from neighbor_api.stats.repository import Part, Period
from tests.conftest import CommandCounter


async def test_reads_with_one_match_are_one_facet(
    demo: Deps, command_counter: CommandCounter
) -> None:
    street = await places_repository.by_level_and_name(demo.db, PlaceLevel.STREET, "金山街道")
    assert street is not None
    period, now = Period(), demo.clock.now()
    resolved = frozenset({Part.RESOLVED})
    alone = [
        await repository.figures(demo.db, street, period, now=now, parts=resolved),
        await repository.by_worker(demo.db, street, period),
        await repository.children_figures(demo.db, street, period, now=now),
        await repository.patrols(demo.db, street.id, period),
    ]
    before = command_counter.counts.get(demo.db.name, 0)
    together = await repository.together(
        repository.figures(demo.db, street, period, now=now, parts=resolved),
        repository.by_worker(demo.db, street, period),
        repository.children_figures(demo.db, street, period, now=now),
        repository.patrols(demo.db, street.id, period),
    )
    sent = command_counter.counts.get(demo.db.name, 0) - before

    assert together == alone
    assert alone[0].resolved > 0
    assert alone[1]
    assert alone[2]
    # Resolutions and by worker share their match (1); the children's rollups, overdue,
    # ratings (3); the place's patrols and the children's (1).
    assert sent == 5, sent


async def test_alone_a_read_is_sent_as_it_is(demo: Deps, command_counter: CommandCounter) -> None:
    street = await places_repository.by_level_and_name(demo.db, PlaceLevel.STREET, "金山街道")
    assert street is not None
    before = command_counter.counts.get(demo.db.name, 0)
    [patrols] = await repository.together(repository.patrols(demo.db, street.id, Period()))
    assert command_counter.counts.get(demo.db.name, 0) - before == 1
    assert patrols == await repository.patrols(demo.db, street.id, Period())
