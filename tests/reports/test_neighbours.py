"""What neighbours do with a report: EndorseReport ("me too", once each, counted exactly under
concurrency) and CommentOnReport (with ReportDetail's comments connection)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.reports.street import (
    CHAIR,
    HOUSEMATE,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    NEIGHBOUR,
    RESIDENT,
    Street,
    load_demo_street,
    new_residents,
    object_id,
    user_errors,
)

# A custom client's query: the pages after the first of a report's comments (ReportDetail
# asks for the first page only).
COMMENTS_PAGE = """
query CommentsPage($id: ID!, $first: Int, $after: String) {
  report(id: $id) {
    comments(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id body } }
    }
  }
}
"""


@pytest.fixture
async def street(api: Api, deps: Deps) -> Street:
    await load_demo_street(deps)
    return await Street.open(api)


@pytest.fixture
async def report_id(street: Street) -> str:
    """A fresh report by the council chair (黄国栋): a blocked drain on 金湖路."""
    report = await street.submit(
        CHAIR, category="ENVIRONMENT", title="金湖路雨水井堵塞", description="一下雨就积水。"
    )
    return str(report["id"])


async def comments_page(street: Street, report_id: str, after: str) -> Any:
    """The two comments after `after`, as 13800000006 sees them."""
    result = await street.api.execute(
        COMMENTS_PAGE,
        {"id": report_id, "first": 2, "after": after},
        token=await street.token(NEIGHBOUR),
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["report"]["comments"]


async def endorsements(deps: Deps, report_id: str) -> int:
    return await deps.db["report_endorsements"].count_documents({"report_id": object_id(report_id)})


class TestEndorseReport:
    async def test_a_neighbour_endorses(self, street: Street, report_id: str) -> None:
        payload = await street.endorse(RESIDENT, report_id)

        assert payload["errors"] == []
        assert payload["report"] == {
            "id": report_id,
            "endorsementCount": 1,
            "viewerHasEndorsed": True,
        }
        others = await street.detail(NEIGHBOUR, report_id)
        assert (others["endorsementCount"], others["viewerHasEndorsed"]) == (1, False)
        listed = await street.reports(RESIDENT, first=1)
        assert listed["edges"][0]["node"]["endorsementCount"] == 1
        assert listed["edges"][0]["node"]["viewerHasEndorsed"] is True

    async def test_a_second_endorsement_changes_nothing(
        self, street: Street, deps: Deps, report_id: str
    ) -> None:
        await street.endorse(RESIDENT, report_id)

        again = await street.endorse(RESIDENT, report_id)

        assert again["errors"] == []
        assert again["report"]["endorsementCount"] == 1
        assert again["report"]["viewerHasEndorsed"] is True
        assert await endorsements(deps, report_id) == 1

    async def test_a_household_endorses_once_per_person(
        self, street: Street, report_id: str
    ) -> None:
        await street.endorse(RESIDENT, report_id)

        payload = await street.endorse(HOUSEMATE, report_id)

        assert payload["report"]["endorsementCount"] == 2

    async def test_thirty_neighbours_at_once_count_thirty(
        self, street: Street, deps: Deps, report_id: str
    ) -> None:
        tokens = await new_residents(deps, street.jinan, 30)
        endorse = {"input": {"reportId": report_id}}

        results = await asyncio.gather(
            *(street.api.data("EndorseReport", endorse, token=token) for token in tokens)
        )

        assert all(r["endorseReport"]["errors"] == [] for r in results)
        assert (await street.detail(JINAN_WORKER, report_id))["endorsementCount"] == 30
        assert await endorsements(deps, report_id) == 30
        assert await deps.db["events"].count_documents({"kind": "report.endorsed"}) == 30

    async def test_ten_at_once_by_one_neighbour_count_one(
        self, street: Street, deps: Deps, report_id: str
    ) -> None:
        await street.token(RESIDENT)

        results = await asyncio.gather(*(street.endorse(RESIDENT, report_id) for _ in range(10)))

        assert all(r["errors"] == [] for r in results)
        assert (await street.detail(RESIDENT, report_id))["endorsementCount"] == 1
        assert await endorsements(deps, report_id) == 1

    async def test_the_reporter_cannot_endorse_their_own(
        self, street: Street, report_id: str
    ) -> None:
        payload = await street.endorse(CHAIR, report_id)

        assert payload["report"] is None
        assert user_errors(payload) == [("FORBIDDEN", None)]
        assert (await street.detail(CHAIR, report_id))["endorsementCount"] == 0

    @pytest.mark.parametrize(("number", "status"), [(1, "CLOSED"), (9, "REJECTED")])
    async def test_a_finished_report_cannot_be_endorsed(
        self, street: Street, number: int, status: str
    ) -> None:
        report_id = (await street.demo_ids())[number]
        assert (await street.detail(CHAIR, report_id))["status"] == status

        payload = await street.endorse(CHAIR, report_id)

        assert user_errors(payload) == [("INVALID_TRANSITION", None)]
        assert (await street.detail(CHAIR, report_id))["endorsementCount"] == 0

    @pytest.mark.parametrize("outsider", [JINSHAN_RESIDENT, JINSHAN_WORKER])
    async def test_another_community_gets_not_found(
        self, street: Street, report_id: str, outsider: str
    ) -> None:
        payload = await street.endorse(outsider, report_id)

        assert user_errors(payload) == [("NOT_FOUND", ["input", "reportId"])]

    async def test_a_private_report_of_another_resident_is_not_found(self, street: Street) -> None:
        private = await street.submit(RESIDENT, category="NEIGHBOR_DISPUTE", title="楼上漏水")

        payload = await street.endorse(NEIGHBOUR, private["id"])

        assert user_errors(payload) == [("NOT_FOUND", ["input", "reportId"])]

    async def test_a_garbage_id_is_invalid(self, street: Street) -> None:
        payload = await street.endorse(RESIDENT, "雨水井")

        assert user_errors(payload) == [("INVALID_INPUT", ["input", "reportId"])]


class TestCommentOnReport:
    async def test_a_neighbour_comments(
        self, street: Street, clock: ManualClock, report_id: str
    ) -> None:
        resident = await street.person(RESIDENT)

        payload = await street.comment(RESIDENT, report_id, "我家门口也积水，麻烦尽快处理")

        assert payload["errors"] == []
        comment = payload["comment"]
        assert comment["body"] == "我家门口也积水，麻烦尽快处理"
        assert comment["author"] == {"id": resident.id, "displayName": "王丽娟"}
        assert datetime.fromisoformat(comment["createdAt"]) == clock.now()
        detail = await street.detail(NEIGHBOUR, report_id)
        assert detail["comments"]["totalCount"] == 1
        assert detail["comments"]["edges"][0]["node"] == comment
        listed = await street.reports(NEIGHBOUR, first=1)
        assert listed["edges"][0]["node"]["commentCount"] == 1

    async def test_comments_are_paged_oldest_first(self, street: Street, report_id: str) -> None:
        for phone in (JINAN_WORKER, RESIDENT, HOUSEMATE, NEIGHBOUR, CHAIR):
            # A minute apart (the tokens, signed at the start, live 15).
            street.clock.advance(timedelta(minutes=1))
            await street.comment(phone, report_id, f"{phone} 的意见")
        bodies = [f"{p} 的意见" for p in (JINAN_WORKER, RESIDENT, HOUSEMATE, NEIGHBOUR, CHAIR)]

        first = (await street.detail(NEIGHBOUR, report_id, comments=2))["comments"]
        seen = [e["node"]["body"] for e in first["edges"]]
        after = first["pageInfo"]["endCursor"]
        pages = [first]
        while pages[-1]["pageInfo"]["hasNextPage"]:
            data = await comments_page(street, report_id, after)
            pages.append(data)
            seen += [e["node"]["body"] for e in data["edges"]]
            after = data["pageInfo"]["endCursor"]

        assert [p["totalCount"] for p in pages] == [5, 5, 5]
        assert [len(p["edges"]) for p in pages] == [2, 2, 1]
        assert seen == bodies

    async def test_a_retry_with_the_key_returns_the_first_comment(
        self, street: Street, deps: Deps, report_id: str
    ) -> None:
        first = await street.comment(RESIDENT, report_id, "已拍照", idempotencyKey="c-1")

        retry = await street.comment(RESIDENT, report_id, "已拍照（重发）", idempotencyKey="c-1")

        assert retry == first
        assert retry["comment"]["body"] == "已拍照"
        assert await deps.db["report_comments"].count_documents({}) == 1
        assert (await street.detail(RESIDENT, report_id))["comments"]["totalCount"] == 1

    async def test_ten_at_once_with_one_key_make_one_comment(
        self, street: Street, deps: Deps, report_id: str
    ) -> None:
        await street.token(RESIDENT)

        sent = await asyncio.gather(
            *(
                street.comment(RESIDENT, report_id, "信号不好，多发几次", idempotencyKey="weak-4g")
                for _ in range(10)
            )
        )

        assert len({s["comment"]["id"] for s in sent}) == 1
        assert await deps.db["report_comments"].count_documents({}) == 1
        listed = await street.reports(RESIDENT, first=1)
        assert listed["edges"][0]["node"]["commentCount"] == 1

    @pytest.mark.parametrize("body", ["", "   ", "水" * 1001], ids=["empty", "blank", "too-long"])
    async def test_an_empty_or_overlong_body_is_invalid(
        self, street: Street, deps: Deps, report_id: str, body: str
    ) -> None:
        payload = await street.comment(RESIDENT, report_id, body)

        assert payload["comment"] is None
        assert user_errors(payload) == [("INVALID_INPUT", ["input", "body"])]
        assert await deps.db["report_comments"].count_documents({}) == 0

    @pytest.mark.parametrize("outsider", [JINSHAN_RESIDENT, JINSHAN_WORKER])
    async def test_another_community_gets_not_found(
        self, street: Street, deps: Deps, report_id: str, outsider: str
    ) -> None:
        payload = await street.comment(outsider, report_id, "路过看看")

        assert user_errors(payload) == [("NOT_FOUND", ["input", "reportId"])]
        assert await deps.db["report_comments"].count_documents({}) == 0

    async def test_a_private_report_of_another_resident_is_not_found(self, street: Street) -> None:
        private = await street.submit(RESIDENT, category="NEIGHBOR_DISPUTE", title="楼上漏水")

        payload = await street.comment(NEIGHBOUR, private["id"], "我也被漏过")

        assert user_errors(payload) == [("NOT_FOUND", ["input", "reportId"])]
        assert (await street.comment(JINAN_WORKER, private["id"], "已联系物业"))["errors"] == []
