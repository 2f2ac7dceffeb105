"""Report photos: attached on submit and on resolve, seen by whoever sees the report."""

from __future__ import annotations

from typing import Any

from neighbor_api.attachments import service as attachments
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import from_global_id, to_global_id
from neighbor_api.memberships.service import actor_for
from tests.attachments.support import jpeg
from tests.conftest import Api

NODE = "query($id: ID!) { node(id: $id) { id ... on Attachment { url contentType } } }"


async def _upload(deps: Deps, api: Api, phone: str) -> str:
    viewer = await api.data("Viewer", token=await api.login(phone))
    object_id = from_global_id(viewer["viewer"]["id"], "User")
    assert object_id is not None
    uploaded = await attachments.upload(
        deps, await actor_for(deps, object_id), filename="楼道.jpg", data=jpeg()
    )
    return to_global_id("Attachment", uploaded.id)


async def _submit(api: Api, token: str, **extra: Any) -> dict[str, Any]:
    viewer = await api.data("Viewer", token=token)
    community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
    data = await api.data(
        "SubmitReport",
        {
            "input": {
                "communityId": community_id,
                "category": "REPAIR",
                "title": "金安里 6 栋雨棚破损",
                "description": "雨棚玻璃裂开，有掉落风险。",
                "location": {"lat": 24.5084, "lng": 118.1847},
                **extra,
            }
        },
        token=token,
    )
    payload: dict[str, Any] = data["submitReport"]
    return payload


class TestSubmitWithPhotos:
    async def test_neighbours_see_the_photos_of_a_community_report(
        self, api: Api, demo: Deps
    ) -> None:
        photo = await _upload(demo, api, "13800000004")
        reporter = await api.login("13800000004")
        payload = await _submit(api, reporter, photoIds=[photo])
        assert payload["errors"] == []
        assert [p["id"] for p in payload["report"]["photos"]] == [photo]

        neighbour = await api.login("13800000006")
        detail = await api.data("ReportDetail", {"id": payload["report"]["id"]}, token=neighbour)
        (seen,) = detail["report"]["photos"]
        assert seen["contentType"] == "image/jpeg"
        assert seen["url"].startswith("/attachments/")
        node = await api.data("NodeById", {"id": photo}, token=neighbour)
        assert node["node"] == {"id": photo, "__typename": "Attachment"}

    async def test_other_communities_and_private_reports_hide_the_photos(
        self, api: Api, demo: Deps
    ) -> None:
        photo = await _upload(demo, api, "13800000004")
        reporter = await api.login("13800000004")
        payload = await _submit(api, reporter, photoIds=[photo], visibility="PRIVATE")
        assert payload["errors"] == []

        for phone in ("13800000006", "13800000011"):
            token = await api.login(phone)
            node = await api.data("NodeById", {"id": photo}, token=token)
            assert node["node"] is None, phone
        staff = await api.login("13800000001")
        node = await api.execute(NODE, {"id": photo}, token=staff)
        assert node.errors is None
        assert node.data is not None
        assert node.data["node"]["contentType"] == "image/jpeg"

    async def test_someone_elses_upload_is_refused_and_nothing_is_created(
        self, api: Api, demo: Deps
    ) -> None:
        photo = await _upload(demo, api, "13800000006")
        reporter = await api.login("13800000004")
        before = await demo.db["reports"].count_documents({})

        payload = await _submit(api, reporter, photoIds=[photo])

        assert payload["report"] is None
        assert payload["errors"][0]["field"] == ["input", "photoIds"]
        assert await demo.db["reports"].count_documents({}) == before


class TestResolveWithPhotos:
    async def test_after_photos_are_shown_to_the_reporter(self, api: Api, demo: Deps) -> None:
        reporter = await api.login("13800000004")
        report_id = (await _submit(api, reporter))["report"]["id"]
        worker, grid_worker = await api.login("13800000001"), await api.login("13800000002")
        viewer = await api.data("Viewer", token=grid_worker)
        await api.data("AcceptReport", {"input": {"reportId": report_id}}, token=worker)
        assigned = await api.data(
            "AssignReport",
            {"input": {"reportId": report_id, "assigneeId": viewer["viewer"]["id"]}},
            token=worker,
        )
        assert assigned["assignReport"]["errors"] == []
        await api.data("StartReport", {"input": {"reportId": report_id}}, token=grid_worker)
        photo = await _upload(demo, api, "13800000002")

        resolved = await api.data(
            "ResolveReport",
            {"input": {"reportId": report_id, "note": "已更换雨棚玻璃。", "photoIds": [photo]}},
            token=grid_worker,
        )

        assert resolved["resolveReport"]["errors"] == []
        assert [p["id"] for p in resolved["resolveReport"]["report"]["resolutionPhotos"]] == [photo]
        node = await api.data("NodeById", {"id": photo}, token=reporter)
        assert node["node"] is not None
