"""A proposal's roll, turnout and comments kept by the instance (core/kept.py, councils.service).

The roll and the turnout counted from it are kept under the roll's version: while voting,
the sum of the tally shards' `voters`, which every vote adds to in its own transaction
(`record_participation`); once closed, the closed roll. Comments are kept under the
proposal's `comment_count`, which every comment adds to in its transaction. Each test shows
the proposal on instance B, writes through the contract on instance A (caches of its own, the
same database), and shows it on B again: B answers the write at once, exactly as it does once
it has dropped what it kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.kept import Kept
from neighbor_api.core.session_cache import SessionCache
from tests.conftest import Api, CommandCounter
from tests.councils.support import CHAIR, OWNERS_CHAIR, SECRETARY, Hall


@pytest.fixture
async def hall(api: Api, deps: Deps) -> Hall:
    return await Hall.open(api, deps)


@pytest.fixture
def other(api: Api, deps: Deps) -> Api:
    """Instance B: the same database and schema, caches of its own."""
    return Api(api.schema, replace(deps, sessions=SessionCache(), kept=Kept()))


async def shown(api: Api, hall: Hall, proposal_id: str, who: str = CHAIR) -> Any:
    data = await api.data("ProposalDetail", {"id": proposal_id}, token=await hall.token(who))
    return data["proposal"]


async def fresh(api: Api, hall: Hall, proposal_id: str, who: str = CHAIR) -> Any:
    """What `api` shows once it has dropped everything it kept."""
    api.deps.kept.clear()
    return await shown(api, hall, proposal_id, who)


def voters(detail: Any) -> list[str]:
    return [e["node"]["user"]["displayName"] for e in detail["voters"]["edges"]]


@pytest.mark.parametrize("ballot", ["OPEN", "SECRET"])
async def test_votes_show_at_once_on_another_instance(hall: Hall, other: Api, ballot: str) -> None:
    proposal_id = await hall.voting(ballot=ballot)
    before = await shown(other, hall, proposal_id)  # B keeps the roll and the turnout
    assert voters(before) == []
    assert before["turnout"]["voted"] == 0

    await hall.vote(SECRETARY, proposal_id, "赞成")  # on instance A
    after = await shown(other, hall, proposal_id)
    assert voters(after) == ["王丽娟"]
    assert after["turnout"]["voted"] == 1
    assert after == await fresh(other, hall, proposal_id)

    await hall.vote(OWNERS_CHAIR, proposal_id, "反对")
    await shown(other, hall, proposal_id)
    await hall.close(proposal_id)
    closed = await shown(other, hall, proposal_id)
    assert closed["status"] == "CLOSED"
    assert sorted(voters(closed)) == ["李秀英", "王丽娟"]
    assert closed["turnout"]["voted"] == 2
    assert closed == await fresh(other, hall, proposal_id)


async def test_comments_show_at_once_on_another_instance(hall: Hall, other: Api) -> None:
    proposal_id = await hall.create()
    before = await shown(other, hall, proposal_id)
    assert before["comments"]["totalCount"] == 0

    data = await hall.api.data(
        "CommentOnProposal",
        {"input": {"proposalId": proposal_id, "body": "建议先征求 1 楼住户的意见。"}},
        token=await hall.token(SECRETARY),
    )
    assert data["commentOnProposal"]["errors"] == []
    after = await shown(other, hall, proposal_id)
    assert after["comments"]["totalCount"] == 1
    assert [e["node"]["body"] for e in after["comments"]["edges"]] == [
        "建议先征求 1 楼住户的意见。"
    ]
    assert after == await fresh(other, hall, proposal_id)


async def test_shown_again_unchanged(hall: Hall, api: Api, command_counter: CommandCounter) -> None:
    """Shown again with nothing changed: the roll, the turnout, the comments and the viewer's
    elector and vote (kept for the viewer: three fields ask) come from the instance, and its
    council too (councils.service.councils). Sent: the proposal and its tallies (the roll's
    version, and the counts of an open ballot); no resulting tasks are read while it is
    voting: only a passed proposal has any."""
    proposal_id = await hall.voting()
    await hall.vote(SECRETARY, proposal_id, "赞成")
    first = await shown(api, hall, proposal_id)
    hits = api.deps.kept.hits
    before = command_counter.counts.get(api.deps.db.name, 0)
    again = await shown(api, hall, proposal_id)
    sent = command_counter.counts.get(api.deps.db.name, 0) - before

    assert again == first
    assert api.deps.kept.hits - hits == 6
    assert sent == 2


@pytest.mark.parametrize("ballot", ["OPEN", "SECRET"])
async def test_the_viewers_own_vote_shows_at_once_on_another_instance(
    hall: Hall, other: Api, ballot: str
) -> None:
    """The viewer's elector and vote are kept for them under the roll's version, which their
    vote (cast on another instance) changes."""
    proposal_id = await hall.voting(ballot=ballot)
    before = await shown(other, hall, proposal_id, SECRETARY)  # B keeps the viewer's
    assert (before["viewerCanVote"], before["viewerHasVoted"]) == (True, False)

    await hall.vote(SECRETARY, proposal_id, "赞成")  # on instance A
    after = await shown(other, hall, proposal_id, SECRETARY)
    assert (after["viewerCanVote"], after["viewerHasVoted"]) == (False, True)
    assert (after["viewerChoiceIds"] is None) == (ballot == "SECRET")
    assert after == await fresh(other, hall, proposal_id, SECRETARY)
    neighbour = await shown(other, hall, proposal_id, CHAIR)  # not the secretary's answers
    assert (neighbour["viewerCanVote"], neighbour["viewerHasVoted"]) == (True, False)
