"""SubmitReport: what a resident (or a worker for a resident) gets back, what is refused, the
number, idempotent retries, and the possible duplicates listed with the new report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from neighbor_api.accounts import service as accounts
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor
from neighbor_api.memberships import service as memberships
from tests.conftest import Api, CommandCounter, record_commands
from tests.reports.street import (
    BUILDING_5,
    CHAIR,
    DEMO_REPORTS,
    GRID_WORKER,
    HOUSEMATE,
    JINAN_WORKER,
    JINHU_ROAD,
    JINSHAN_GARDEN,
    JINSHAN_RESIDENT,
    NEIGHBOUR,
    RESIDENT,
    Street,
    demo_number,
    error_codes,
    load_demo_street,
    north_of,
    object_id,
    user_errors,
)


@pytest.fixture
async def street(api: Api, deps: Deps) -> Street:
    await load_demo_street(deps)
    return await Street.open(api)


async def stored_reports(deps: Deps) -> int:
    return await deps.db["reports"].count_documents({})


async def submitted_events(deps: Deps) -> int:
    return await deps.db["events"].count_documents({"kind": "report.submitted"})


class TestSubmitReport:
    async def test_a_resident_submits_a_report(self, street: Street, clock: ManualClock) -> None:
        resident = await street.person(RESIDENT)

        payload = await street.submit_payload(RESIDENT)

        assert payload["errors"] == []
        assert payload["possibleDuplicates"] == []
        report = payload["report"]
        assert report["number"] == demo_number(DEMO_REPORTS + 1) == "JA-2026-000013"
        assert report["status"] == "SUBMITTED"
        assert report["category"] == "REPAIR"
        assert report["title"] == "金安里 12 栋电梯异响"
        assert datetime.fromisoformat(report["createdAt"]) == clock.now()
        assert report["dueAt"] is None
        assert report["photos"] == []
        detail = await street.detail(RESIDENT, report["id"])
        assert detail["reporter"] == {"id": resident.id, "displayName": "王丽娟"}
        assert detail["visibility"] == "COMMUNITY"
        assert detail["anonymous"] is False
        assert detail["address"] == "金湖路金安里 12 栋"
        assert detail["location"] == JINHU_ROAD
        assert detail["community"]["name"] == "金安社区"
        assert detail["priority"] is None
        assert detail["endorsementCount"] == 0
        (entry,) = detail["timeline"]
        assert entry["action"] == "SUBMITTED"
        assert entry["fromStatus"] is None
        assert entry["toStatus"] == "SUBMITTED"
        assert entry["actor"] == {"id": resident.id, "displayName": "王丽娟"}
        assert datetime.fromisoformat(entry["at"]) == clock.now()

    async def test_title_and_description_at_their_limits_are_accepted(self, street: Street) -> None:
        report = await street.submit(RESIDENT, title="灯" * 60, description="暗" * 2000)

        assert report["title"] == "灯" * 60

    async def test_empty_title_and_description_are_invalid(
        self, street: Street, deps: Deps
    ) -> None:
        payload = await street.submit_payload(RESIDENT, title="", description="   ")

        assert payload["report"] is None
        assert user_errors(payload) == [
            ("INVALID_INPUT", ["input", "title"]),
            ("INVALID_INPUT", ["input", "description"]),
        ]
        assert all(e["message"] for e in payload["errors"])
        assert await stored_reports(deps) == DEMO_REPORTS

    async def test_too_long_title_and_description_are_invalid(
        self, street: Street, deps: Deps
    ) -> None:
        payload = await street.submit_payload(RESIDENT, title="灯" * 61, description="暗" * 2001)

        assert user_errors(payload) == [
            ("INVALID_INPUT", ["input", "title"]),
            ("INVALID_INPUT", ["input", "description"]),
        ]
        assert await stored_reports(deps) == DEMO_REPORTS

    @pytest.mark.parametrize(
        "location",
        [{"lat": 91.0, "lng": 118.1890}, {"lat": 24.5060, "lng": -180.5}],
        ids=["latitude", "longitude"],
    )
    async def test_a_location_off_the_globe_is_invalid(
        self, street: Street, deps: Deps, location: dict[str, float]
    ) -> None:
        payload = await street.submit_payload(RESIDENT, location=location)

        assert user_errors(payload) == [("INVALID_INPUT", ["input", "location"])]
        assert await stored_reports(deps) == DEMO_REPORTS

    async def test_a_garbage_community_id_is_invalid(self, street: Street) -> None:
        payload = await street.submit_payload(RESIDENT, communityId="金安社区")

        assert user_errors(payload) == [("INVALID_INPUT", ["input", "communityId"])]

    async def test_a_streets_id_is_not_a_community(self, street: Street, api: Api) -> None:
        community = await api.data("Community", {"id": street.jinan})
        street_id = community["community"]["street"]["id"]

        payload = await street.submit_payload(RESIDENT, communityId=street_id)

        assert user_errors(payload) == [("NOT_FOUND", ["input", "communityId"])]

    async def test_a_resident_of_another_community_is_forbidden(
        self, street: Street, deps: Deps
    ) -> None:
        payload = await street.submit_payload(JINSHAN_RESIDENT)

        assert payload["report"] is None
        assert user_errors(payload) == [("FORBIDDEN", None)]
        assert await stored_reports(deps) == DEMO_REPORTS

    async def test_a_resident_waiting_for_approval_is_forbidden(
        self, street: Street, deps: Deps
    ) -> None:
        signed_in = await accounts.register(
            deps, phone="13912345678", password="jinan-newcomer-2026", display_name="刘晓梅"
        )
        await memberships.join_community(
            deps,
            Actor(user_id=signed_in.user.id),
            community_id=object_id(street.jinan),
            address="金山路 130 号金安里 9 栋 201 室",
            household_code="JA-9-201",
        )

        result = await street.api.data(
            "SubmitReport", {"input": street.report_input()}, token=signed_in.access_token
        )

        assert user_errors(result["submitReport"]) == [("FORBIDDEN", None)]
        assert await stored_reports(deps) == DEMO_REPORTS

    async def test_without_a_token_is_unauthenticated(
        self, street: Street, api: Api, deps: Deps
    ) -> None:
        result = await api.op("SubmitReport", {"input": street.report_input()})

        assert error_codes(result) == ["UNAUTHENTICATED"]
        assert await stored_reports(deps) == DEMO_REPORTS

    @pytest.mark.parametrize(
        ("category", "asked", "chosen"),
        [
            ("NEIGHBOR_DISPUTE", None, "PRIVATE"),
            ("REPAIR", None, "COMMUNITY"),
            ("PUBLIC_ORDER", None, "COMMUNITY"),
            ("NEIGHBOR_DISPUTE", "COMMUNITY", "COMMUNITY"),
            ("ENVIRONMENT", "PRIVATE", "PRIVATE"),
        ],
        ids=["dispute-default", "repair-default", "order-default", "dispute-asked", "asked"],
    )
    async def test_visibility(
        self, street: Street, category: str, asked: str | None, chosen: str
    ) -> None:
        fields: dict[str, Any] = {"category": category, "title": "楼上深夜拖动家具"}
        if asked is not None:
            fields["visibility"] = asked

        report = await street.submit(RESIDENT, **fields)

        assert (await street.detail(RESIDENT, report["id"]))["visibility"] == chosen


class TestSubmitReportIdempotency:
    async def test_a_retry_returns_the_first_report_and_creates_nothing(
        self, street: Street, deps: Deps
    ) -> None:
        first = await street.submit(RESIDENT, idempotencyKey="lift-2026-11-27")

        retry = await street.submit(
            RESIDENT, idempotencyKey="lift-2026-11-27", title="金安里 12 栋电梯异响（重发）"
        )

        assert retry == first
        assert await stored_reports(deps) == DEMO_REPORTS + 1
        assert await submitted_events(deps) == DEMO_REPORTS + 1

    async def test_the_same_key_from_another_resident_is_another_report(
        self, street: Street, deps: Deps
    ) -> None:
        mine = await street.submit(RESIDENT, idempotencyKey="lift-noise")

        theirs = await street.submit(NEIGHBOUR, idempotencyKey="lift-noise")

        assert theirs["id"] != mine["id"]
        assert await stored_reports(deps) == DEMO_REPORTS + 2

    async def test_ten_concurrent_submits_with_one_key_create_one_report(
        self, street: Street, deps: Deps
    ) -> None:
        await street.token(RESIDENT)

        sent = await asyncio.gather(
            *(street.submit(RESIDENT, idempotencyKey="flaky-network") for _ in range(10))
        )

        assert len({report["id"] for report in sent}) == 1
        assert len({report["number"] for report in sent}) == 1
        assert await stored_reports(deps) == DEMO_REPORTS + 1
        assert await submitted_events(deps) == DEMO_REPORTS + 1

    async def test_an_overlong_key_is_invalid(self, street: Street) -> None:
        payload = await street.submit_payload(RESIDENT, idempotencyKey="k" * 101)

        assert user_errors(payload) == [("INVALID_INPUT", ["input", "idempotencyKey"])]


class TestReportNumbers:
    async def test_twenty_concurrent_submits_get_twenty_numbers(self, street: Street) -> None:
        residents = [CHAIR, RESIDENT, HOUSEMATE, NEIGHBOUR]
        for phone in residents:
            await street.token(phone)

        sent = await asyncio.gather(
            *(street.submit(residents[i % 4], title=f"第 {i} 号路灯不亮") for i in range(20))
        )

        numbers = sorted(report["number"] for report in sent)
        assert numbers == [demo_number(n) for n in range(DEMO_REPORTS + 1, DEMO_REPORTS + 21)]

    async def test_twenty_at_once_in_one_community_are_each_written_once(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each writes the community's rollups: run together, all but one transaction would
        conflict there, be aborted and run again (a burst of 16 ran each 4.8 times)."""
        residents = [CHAIR, RESIDENT, HOUSEMATE, NEIGHBOUR]
        for phone in residents:
            await street.token(phone)
        sent_commands = record_commands(command_counter, monkeypatch, "admin")

        sent = await asyncio.gather(
            *(street.submit(residents[i % 4], title=f"第 {i} 号路灯不亮") for i in range(20))
        )

        assert len({report["id"] for report in sent}) == 20
        finished = [next(iter(command)) for command in sent_commands]
        assert finished.count("commitTransaction") >= 20
        assert "abortTransaction" not in finished

    async def test_a_new_sequence_started_by_ten_at_once_never_repeats(
        self, street: Street
    ) -> None:
        """金山社区 has no report yet: its counter is created by whichever comes first."""
        await street.token(JINSHAN_RESIDENT)

        sent = await asyncio.gather(
            *(
                street.submit(
                    JINSHAN_RESIDENT,
                    communityId=street.jinshan,
                    title=f"金山花园 {i + 1} 栋水管漏水",
                    location=JINSHAN_GARDEN,
                )
                for i in range(10)
            )
        )

        numbers = [report["number"] for report in sent]
        assert len(set(numbers)) == 10
        assert all(n.startswith("JSQ-2026-") for n in numbers)
        assert min(numbers) == "JSQ-2026-000001"

    async def test_each_community_has_its_own_sequence(self, street: Street) -> None:
        jinshan = await street.submit(
            JINSHAN_RESIDENT,
            communityId=street.jinshan,
            title="金山花园 2 栋水管漏水",
            location=JINSHAN_GARDEN,
            address="金山西路 66 号金山花园 2 栋",
        )
        jinan = await street.submit(RESIDENT)

        assert jinshan["number"] == "JSQ-2026-000001"
        assert jinan["number"] == demo_number(DEMO_REPORTS + 1)

    async def test_the_sequence_restarts_with_the_year_in_beijing_time(
        self, street: Street, clock: ManualClock
    ) -> None:
        clock.advance(datetime(2026, 12, 31, 15, 59, tzinfo=UTC) - clock.now())
        street.sign_in_again()
        last_of_2026 = await street.submit(RESIDENT)
        clock.advance(timedelta(minutes=2))  # 2027-01-01 00:01 in Xiamen, still 2026 in UTC
        street.sign_in_again()

        first_of_2027 = await street.submit(RESIDENT)
        second_of_2027 = await street.submit(NEIGHBOUR)

        assert last_of_2026["number"] == demo_number(DEMO_REPORTS + 1)
        assert first_of_2027["number"] == "JA-2027-000001"
        assert second_of_2027["number"] == "JA-2027-000002"


class TestPossibleDuplicates:
    """Reports around 金湖路 (JINHU_ROAD), each some metres due north of it."""

    @pytest.fixture
    async def around(self, street: Street, api: Api) -> dict[str, str]:
        async def at(meters: float, phone: str = CHAIR, **fields: Any) -> str:
            location = north_of(JINHU_ROAD, meters)
            report = await street.submit(phone, location=location, **fields)
            return str(report["id"])

        ids = {
            "open at 30 m": await at(30, title="12 栋电梯按钮失灵"),
            "accepted at 80 m": await at(80, HOUSEMATE, title="12 栋电梯门夹人"),
            "open at 150 m": await at(150, title="13 栋电梯停运"),
            "other category at 10 m": await at(10, category="ENVIRONMENT", title="电梯厅垃圾"),
            "rejected at 20 m": await at(20, title="电梯广告太吵"),
            "resolved at 50 m": await at(50, title="电梯照明坏了"),
            "private at 25 m": await at(25, NEIGHBOUR, visibility="PRIVATE", title="电梯卡顿"),
        }
        worker = await street.token(JINAN_WORKER)
        grid_worker = await street.person(GRID_WORKER)

        async def move(name: str, input: dict[str, Any]) -> None:
            data = await api.data(name, {"input": input}, token=worker)
            payload = next(iter(data.values()))
            assert payload["errors"] == [], payload

        await move("AcceptReport", {"reportId": ids["accepted at 80 m"]})
        await move("RejectReport", {"reportId": ids["rejected at 20 m"], "reason": "非本社区事务"})
        resolved = ids["resolved at 50 m"]
        await move("AcceptReport", {"reportId": resolved, "priority": "HIGH"})
        await move("AssignReport", {"reportId": resolved, "assigneeId": grid_worker.id})
        await move("StartReport", {"reportId": resolved})
        await move("ResolveReport", {"reportId": resolved, "note": "已更换照明灯管"})
        return ids

    async def test_open_reports_of_the_category_within_100_m_are_listed(
        self, street: Street, around: dict[str, str]
    ) -> None:
        payload = await street.submit_payload(RESIDENT)

        assert payload["errors"] == []
        duplicates = payload["possibleDuplicates"]
        assert [d["id"] for d in duplicates] == [
            around["open at 30 m"],
            around["accepted at 80 m"],
        ]
        assert [d["distanceMeters"] for d in duplicates] == [
            pytest.approx(30, abs=0.5),
            pytest.approx(80, abs=0.5),
        ]
        assert [d["status"] for d in duplicates] == ["SUBMITTED", "ACCEPTED"]
        assert duplicates[0]["title"] == "12 栋电梯按钮失灵"
        assert duplicates[0]["number"].startswith("JA-2026-")

    async def test_staff_are_shown_private_ones_too(
        self, street: Street, around: dict[str, str]
    ) -> None:
        payload = await street.submit_payload(JINAN_WORKER)

        assert [d["id"] for d in payload["possibleDuplicates"]] == [
            around["private at 25 m"],
            around["open at 30 m"],
            around["accepted at 80 m"],
        ]

    async def test_the_reporter_of_a_private_one_is_shown_it(
        self, street: Street, around: dict[str, str]
    ) -> None:
        payload = await street.submit_payload(NEIGHBOUR)

        assert around["private at 25 m"] in [d["id"] for d in payload["possibleDuplicates"]]

    async def test_a_closed_report_on_the_spot_is_not_listed(self, street: Street) -> None:
        """At 金安里 5 栋: the demo's closed 楼道灯 report (0 m) and resolved 健身器材 one (59 m)
        are done with; the reopened 路面塌陷 one (94 m) is open."""
        ids = await street.demo_ids()

        payload = await street.submit_payload(
            RESIDENT, location=BUILDING_5, title="5 栋楼道灯又不亮了"
        )

        duplicates = payload["possibleDuplicates"]
        assert [d["id"] for d in duplicates] == [ids[8]]
        assert duplicates[0]["distanceMeters"] == pytest.approx(93.8, abs=1)
        assert duplicates[0]["status"] == "ASSIGNED"

    async def test_nothing_is_listed_for_another_category(
        self, street: Street, around: dict[str, str]
    ) -> None:
        payload = await street.submit_payload(RESIDENT, category="TRAFFIC")

        assert payload["possibleDuplicates"] == []


class TestSubmitReportOnBehalf:
    async def test_a_grid_worker_files_for_a_resident(self, street: Street) -> None:
        grid_worker = await street.person(GRID_WORKER)
        resident = await street.person(NEIGHBOUR)

        report = await street.submit(
            GRID_WORKER, onBehalfOfId=resident.id, title="李阿姨家门口路灯不亮"
        )

        for viewer in (NEIGHBOUR, JINAN_WORKER):
            detail = await street.detail(viewer, report["id"])
            assert detail["reporter"] == {"id": resident.id, "displayName": "李秀英"}
            (entry,) = detail["timeline"]
            assert entry["action"] == "SUBMITTED"
            assert entry["actor"] == {"id": grid_worker.id, "displayName": "陈志强"}
        assert report["number"] in await street.numbers(NEIGHBOUR, filter={"mine": True})
        assert report["number"] not in await street.numbers(GRID_WORKER, filter={"mine": True})

    async def test_a_community_worker_files_for_a_resident(self, street: Street) -> None:
        resident = await street.person(CHAIR)

        report = await street.submit(JINAN_WORKER, onBehalfOfId=resident.id)

        assert (await street.detail(CHAIR, report["id"]))["reporter"]["id"] == resident.id

    async def test_a_resident_cannot_file_for_a_neighbour(self, street: Street, deps: Deps) -> None:
        neighbour = await street.person(NEIGHBOUR)

        payload = await street.submit_payload(RESIDENT, onBehalfOfId=neighbour.id)

        assert payload["report"] is None
        assert user_errors(payload) == [("FORBIDDEN", None)]
        assert await stored_reports(deps) == DEMO_REPORTS

    async def test_for_someone_outside_the_community_is_not_found(
        self, street: Street, deps: Deps
    ) -> None:
        outsider = await street.person(JINSHAN_RESIDENT)

        payload = await street.submit_payload(GRID_WORKER, onBehalfOfId=outsider.id)

        assert user_errors(payload) == [("NOT_FOUND", ["input", "onBehalfOfId"])]
        assert await stored_reports(deps) == DEMO_REPORTS

    async def test_for_a_garbage_id_is_invalid(self, street: Street) -> None:
        payload = await street.submit_payload(GRID_WORKER, onBehalfOfId="李秀英")

        assert user_errors(payload) == [("INVALID_INPUT", ["input", "onBehalfOfId"])]
