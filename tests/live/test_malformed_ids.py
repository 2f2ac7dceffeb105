"""A subscription given an id that names nothing (malformed, another type's, or unknown) is
refused with NOT_FOUND, exactly as for an object the viewer may not see."""

from __future__ import annotations

import pytest
from bson import ObjectId

from neighbor_api.graphql.relay import to_global_id
from tests.live.support import BOARD_EVENTS, PROPOSAL_EVENTS, REPORT_EVENTS, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import JINAN_WORKER

SUBSCRIPTIONS = [
    (BOARD_EVENTS, "boardId"),
    (REPORT_EVENTS, "communityId"),
    (PROPOSAL_EVENTS, "proposalId"),
]


@pytest.mark.parametrize(("operation", "argument"), SUBSCRIPTIONS)
async def test_an_id_of_nothing_is_not_found(
    server: LiveServer, people: People, operation: str, argument: str
) -> None:
    wrong_type = to_global_id("Attachment", ObjectId())
    unknown = {"boardId": "Board", "communityId": "Place", "proposalId": "Proposal"}[argument]
    async with client(server, await people.token(JINAN_WORKER)) as worker:
        for index, value in enumerate(["not-an-id", wrong_type, to_global_id(unknown, ObjectId())]):
            await worker.subscribe(operation, {argument: value}, operation_id=str(index))
            assert await worker.error_codes(str(index)) == ["NOT_FOUND"], value
