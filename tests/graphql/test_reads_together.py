"""Reads that concurrent requests send together (`core/together.py`): one `$in` for all that
one turn of the event loop asks of a collection, each ask answered as by a read of its own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson import ObjectId

from neighbor_api.core import together
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.mongo import connect
from neighbor_api.reports import repository
from tests.conftest import Api, CommandCounter, record_commands
from tests.graphql.conftest import Commands
from tests.reports.street import CHAIR, NEIGHBOUR, RESIDENT, Street, load_demo_street

SHARDS = "shards"


@pytest.fixture
async def shards(deps: Deps) -> list[ObjectId]:
    """Two proposals' tally shards: two of the first, one of the second."""
    first, second = ObjectId(), ObjectId()
    await deps.db[SHARDS].insert_many([
        {"proposal_id": first, "shard": 0, "voters": 3},
        {"proposal_id": first, "shard": 1, "voters": 4},
        {"proposal_id": second, "shard": 0, "voters": 5},
    ])  # fmt: skip
    return [first, second]


def voters(documents: list[dict[str, Any]]) -> list[int]:
    return sorted(d["voters"] for d in documents)


class TestOneRead:
    async def test_the_asks_of_one_turn_are_one_read_each_given_its_own(
        self, deps: Deps, commands: Commands, shards: list[ObjectId]
    ) -> None:
        first, second = shards
        before = commands.count

        answers = await asyncio.gather(
            together.find_in(deps.db, SHARDS, [first], field="proposal_id"),
            together.find_in(deps.db, SHARDS, [second], field="proposal_id"),
            together.find_in(deps.db, SHARDS, [ObjectId()], field="proposal_id"),
            together.find_in(deps.db, SHARDS, [first, second], field="proposal_id"),
        )

        assert commands.count - before == 1
        assert [voters(a) for a in answers] == [[3, 4], [5], [], [3, 4, 5]]

    async def test_asks_of_other_turns_or_shapes_are_read_apart(
        self, deps: Deps, commands: Commands, shards: list[ObjectId]
    ) -> None:
        first, second = shards
        before = commands.count

        alone = await together.find_in(deps.db, SHARDS, [first], field="proposal_id")
        shaped, whole = await asyncio.gather(
            together.find_in(
                deps.db, SHARDS, [second], field="proposal_id", projection={"voters": 1}
            ),
            together.find_in(deps.db, SHARDS, [second], field="proposal_id"),
        )

        assert commands.count - before == 3
        assert voters(alone) == [3, 4]
        assert set(shaped[0]) == {"_id", "proposal_id", "voters"}
        assert whole[0]["shard"] == 0

    async def test_nothing_asked_reads_nothing(self, deps: Deps, commands: Commands) -> None:
        before = commands.count
        assert await together.find_in(deps.db, SHARDS, []) == []
        assert commands.count == before


class TestAsItsOwnRead:
    async def test_an_ask_after_a_write_sees_it_even_when_an_earlier_ask_was_being_read(
        self, deps: Deps
    ) -> None:
        """An ask never joins a read already sent: the read it joins is sent after it asked."""
        report_id = ObjectId()
        earlier = asyncio.ensure_future(together.find_in(deps.db, SHARDS, [report_id]))
        await asyncio.sleep(0)  # the earlier ask is in a batch, sent at the next turn
        await deps.db[SHARDS].insert_one({"_id": report_id, "voters": 1})

        later = await together.find_in(deps.db, SHARDS, [report_id])

        assert [d["voters"] for d in later] == [1]
        assert len(await earlier) in (0, 1)  # read before or after the write: either may be

    async def test_a_document_two_requests_asked_for_is_each_ones_own(
        self, deps: Deps, shards: list[ObjectId]
    ) -> None:
        first, _ = shards
        mine, theirs = await asyncio.gather(
            together.find_in(deps.db, SHARDS, [first], field="proposal_id"),
            together.find_in(deps.db, SHARDS, [first], field="proposal_id"),
        )

        assert mine == theirs
        mine[0]["voters"] = 100

        assert all(d is not m for d in theirs for m in mine)
        assert voters(theirs) == [3, 4]

    async def test_a_failed_read_is_each_asks_error(self, deps: Deps) -> None:
        """A read that cannot be sent (a collection name the driver refuses)."""
        asks = [together.find_in(deps.db, "no$such", [ObjectId()]) for _ in range(2)]
        answers = await asyncio.gather(*asks, return_exceptions=True)

        assert [type(a).__name__ for a in answers] == ["InvalidName", "InvalidName"]

    async def test_an_ask_cancelled_leaves_the_others_read(
        self, deps: Deps, shards: list[ObjectId]
    ) -> None:
        first, second = shards
        gone = asyncio.ensure_future(
            together.find_in(deps.db, SHARDS, [first], field="proposal_id")
        )
        kept = asyncio.ensure_future(
            together.find_in(deps.db, SHARDS, [second], field="proposal_id")
        )
        await asyncio.sleep(0)
        gone.cancel()

        assert voters(await kept) == [5]
        assert gone.cancelled()


class TestLoops:
    async def test_loops_in_two_threads_at_once_each_read_on_their_own(
        self, deps: Deps, mongo_server: EmbeddedMongo, shards: list[ObjectId]
    ) -> None:
        """A DataLoader belongs to its loop: each thread's loop has loaders of its own."""
        first, second = shards

        def in_a_thread_of_its_own() -> list[list[int]]:
            async def asks() -> list[list[int]]:
                client = connect(mongo_server.uri)
                try:
                    db = client[deps.db.name]
                    return [
                        voters(await together.find_in(db, SHARDS, [p], field="proposal_id"))
                        for p in (first, second) * 20
                    ]
                finally:
                    await client.close()

            return asyncio.run(asks())

        theirs = asyncio.create_task(asyncio.to_thread(in_a_thread_of_its_own))
        mine = [
            voters(await together.find_in(deps.db, SHARDS, [p], field="proposal_id"))
            for p in (second, first) * 20
        ]

        assert mine == [[5], [3, 4]] * 20
        assert await theirs == [[3, 4], [5]] * 20


class TestRequests:
    """Concurrent requests of the contract read their versions together."""

    @pytest.fixture
    async def street(self, api: Api, deps: Deps) -> Street:
        await load_demo_street(deps)
        return await Street.open(api)

    async def test_three_residents_lists_read_the_communitys_totals_once(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        people = [RESIDENT, NEIGHBOUR, CHAIR]
        for phone in people:
            await street.reports(phone)  # the pages kept; the tokens issued
        sent = record_commands(command_counter, monkeypatch, street.api.deps.db.name)

        pages = await asyncio.gather(*(street.reports(phone) for phone in people))

        assert all(page["totalCount"] > 0 for page in pages)
        totals = [c for c in sent if c.get("find") == repository.ROLLUPS]
        assert len(totals) == 1
        assert len(totals[0]["filter"]["_id"]["$in"]) == 1
