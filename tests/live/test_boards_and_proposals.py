"""boardEvents and proposalEvents, with the contract's selections."""

from __future__ import annotations

from tests.live.support import BOARD_EVENTS, PROPOSAL_EVENTS, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import JINAN_WORKER, JINSHAN_RESIDENT

CHAIR, SECRETARY = "13800000003", "13800000004"
# PROPOSAL_EVENTS plus the options' counts, to see a secret ballot's are hidden.
PROPOSAL_COUNTS = """
subscription ProposalCounts($proposalId: ID!) {
  proposalEvents(proposalId: $proposalId) { kind proposal { status options { voteCount } } }
}
"""


async def test_board_events(server: LiveServer, people: People) -> None:
    boards = people.boards
    board = await boards.board()
    async with (
        client(server, await people.token(JINAN_WORKER)) as worker,
        client(server, await people.token(JINSHAN_RESIDENT)) as outsider,
    ):
        await outsider.subscribe(BOARD_EVENTS, {"boardId": board.id})
        assert await outsider.error_codes() == ["NOT_FOUND"]
        await worker.subscribe(BOARD_EVENTS, {"boardId": board.id})
        await worker.silent(0.2)

        task = await boards.task(board)
        created = (await worker.next())["boardEvents"]
        await boards.ok(
            "MoveTask",
            JINAN_WORKER,
            taskId=task["id"],
            toColumnId=board.column("DOING"),
            expectedVersion=task["version"],
        )
        moved = (await worker.next())["boardEvents"]

    assert created["kind"] == "CREATED"
    assert created["task"] == {
        "id": task["id"],
        "version": task["version"],
        "title": task["title"],
        "column": {"id": board.column("TODO")},
        "assignees": [],
    }
    assert moved["kind"] == "MOVED"
    assert moved["task"]["column"] == {"id": board.column("DOING")}


async def test_proposal_events_hide_a_secret_ballots_counts(
    server: LiveServer, people: People
) -> None:
    hall = people.hall
    proposal_id = await hall.create(CHAIR, ballot="SECRET")
    async with (
        client(server, await people.token(JINAN_WORKER)) as worker,
        client(server, await people.token(SECRETARY)) as member,
        client(server, await people.token(JINSHAN_RESIDENT)) as outsider,
    ):
        await outsider.subscribe(PROPOSAL_EVENTS, {"proposalId": proposal_id})
        assert await outsider.error_codes() == ["NOT_FOUND"]
        await worker.subscribe(PROPOSAL_EVENTS, {"proposalId": proposal_id})
        await member.subscribe(PROPOSAL_COUNTS, {"proposalId": proposal_id})
        await worker.silent(0.2)

        assert (await hall.open_payload(proposal_id, CHAIR))["errors"] == []
        await hall.vote(CHAIR, proposal_id, "赞成")
        await hall.close(proposal_id, CHAIR)

        kinds, turnouts = [], []
        for _ in range(3):
            event = (await worker.next())["proposalEvents"]
            kinds.append(event["kind"])
            turnouts.append(event["proposal"]["turnout"])
            assert event["proposal"]["id"] == proposal_id
        counts = [(await member.next())["proposalEvents"] for _ in range(3)]

    assert kinds == ["OPENED", "VOTE_CAST", "CLOSED"]
    # A secret ballot's vote says that someone voted, not the turnout it moved to.
    assert turnouts[1] is None
    assert event["proposal"]["turnout"]["voted"] == 1
    assert [c["proposal"]["status"] for c in counts] == ["VOTING", "VOTING", "CLOSED"]
    assert all(o["voteCount"] is None for c in counts[:2] for o in c["proposal"]["options"])
    assert any(o["voteCount"] == 1 for o in counts[2]["proposal"]["options"])
