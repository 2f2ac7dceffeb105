"""GET /attachments/{id}: the signed link is the permission; the file comes back as stored."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bson import ObjectId
from pydantic import SecretStr

from neighbor_api.attachments import service
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import from_global_id, to_global_id
from neighbor_api.reports.models import Report, ReportVisibility
from neighbor_api.settings import Settings
from tests.attachments.support import heic, jpeg, link_viewer, png, stored, uploaded
from tests.conftest import Api, make_settings
from tests.places.support import Person


def with_params(url: str, **params: str) -> str:
    """`url` with some query parameters replaced."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    return f"{parts.path}?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def me(deps: Deps, owner: Person) -> service.LinkViewer:
    """The owner's session and user, as a link made for them names them."""
    return link_viewer(deps, owner.token)


class TestDownload:
    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            pytest.param(png(), "image/png", id="png"),
            pytest.param(heic(600_000), "image/heic", id="heic-several-chunks"),
        ],
    )
    async def test_returns_the_same_bytes_and_type(
        self, http: httpx.AsyncClient, owner: Person, content: bytes, content_type: str
    ) -> None:
        attachment = await uploaded(
            http, content, token=owner.token, filename="x.bin", content_type="text/html"
        )

        response = await http.get(attachment["url"])

        assert response.status_code == 200
        assert response.content == content
        assert response.headers["content-type"] == content_type
        assert response.headers["content-length"] == str(len(content))
        assert response.headers["cache-control"] == "private, max-age=300"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == "inline"

    async def test_needs_no_token(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        """The signature is the permission (an <img src> sends no Authorization header)."""
        attachment = await stored(deps, me.user_id, content=jpeg())
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())

        response = await http.get(url)

        assert response.status_code == 200
        assert response.content == jpeg()

    async def test_head_answers_the_headers(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps, me.user_id, content=png())
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())

        response = await http.head(url)

        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-length"] == str(len(png()))
        assert response.content == b""

    async def test_a_tampered_signature_is_403(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps, me.user_id)
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())
        signature = parse_qs(urlsplit(url).query)["signature"][0]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

        response = await http.get(with_params(url, signature=flipped))

        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert response.headers["content-type"].startswith("application/json")

    async def test_a_later_expiry_with_the_old_signature_is_403(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps, me.user_id)
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())
        expires = int(parse_qs(urlsplit(url).query)["expires"][0])

        response = await http.get(with_params(url, expires=str(expires + 86400)))

        assert response.status_code == 403

    async def test_the_signature_of_another_file_is_403(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        mine, other = await stored(deps, me.user_id), await stored(deps, me.user_id)
        url = service.signed_url(deps.settings, mine.id, viewer=me, now=deps.clock.now())

        response = await http.get(url.replace(str(mine.id), str(other.id)))

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "query",
        [
            pytest.param("", id="no-parameters"),
            pytest.param("?expires=99999999999", id="no-signature"),
            pytest.param("?expires=soon&signature=abc", id="expires-not-a-number"),
            pytest.param("?expires=1&signature=%E2%9C%93", id="non-ascii-signature"),
        ],
    )
    async def test_a_link_without_a_valid_signature_is_403(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps, query: str
    ) -> None:
        attachment = await stored(deps, me.user_id)

        response = await http.get(f"/attachments/{attachment.id}{query}")

        assert response.status_code == 403

    async def test_an_expired_link_is_403(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps, clock: ManualClock
    ) -> None:
        attachment = await stored(deps, me.user_id)
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=clock.now())

        clock.advance(deps.settings.attachment_link_ttl - timedelta(seconds=1))
        assert (await http.get(url)).status_code == 200
        clock.advance(timedelta(minutes=1, seconds=1))
        response = await http.get(url, headers={"Accept-Language": "en"})

        assert response.status_code == 403
        assert response.json()["errors"][0]["message"] == (
            "The download link is invalid or has expired"
        )

    async def test_a_link_of_a_session_that_ended_is_403(
        self, me: service.LinkViewer, owner: Person, api: Api, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps, me.user_id)
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())
        assert (await http.get(url)).status_code == 200

        assert (await api.data("Logout", token=owner.token))["logout"]["errors"] == []

        assert (await http.get(url)).status_code == 403

    async def test_a_link_for_someone_who_may_not_see_the_file_is_404(
        self, me: service.LinkViewer, stranger: Person, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        """Visibility is checked when the file is served, not only when the link is made."""
        attachment = await stored(deps, me.user_id)
        theirs = link_viewer(deps, stranger.token)
        url = service.signed_url(deps.settings, attachment.id, viewer=theirs, now=deps.clock.now())

        response = await http.get(url)

        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    async def test_the_viewer_in_a_link_cannot_be_swapped(
        self, me: service.LinkViewer, stranger: Person, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps, me.user_id)
        url = service.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())

        response = await http.get(with_params(url, viewer=str(link_viewer(deps, stranger.token))))

        assert response.status_code == 403

    async def test_a_link_signed_with_another_key_is_403(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps, me.user_id)
        other = make_settings(secret_key=SecretStr("another-secret-key-that-is-long-enough"))

        response = await http.get(
            service.signed_url(other, attachment.id, viewer=me, now=deps.clock.now())
        )

        assert response.status_code == 403

    async def test_an_unknown_file_is_404(
        self, me: service.LinkViewer, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        url = service.signed_url(deps.settings, ObjectId(), viewer=me, now=deps.clock.now())

        response = await http.get(url)

        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    async def test_a_malformed_id_is_404(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/attachments/not-an-id?expires=1&signature=00")

        assert response.status_code == 404


class TestSignedUrl:
    def test_lives_minutes_and_is_stable_for_a_minute(
        self, settings: Settings, clock: ManualClock
    ) -> None:
        attachment_id = ObjectId()
        me = service.LinkViewer(ObjectId(), ObjectId())
        clock.advance(timedelta(seconds=60 - clock.now().second + 1))
        first = service.signed_url(settings, attachment_id, viewer=me, now=clock.now())
        clock.advance(timedelta(seconds=58))
        second = service.signed_url(settings, attachment_id, viewer=me, now=clock.now())

        expires = int(parse_qs(urlsplit(first).query)["expires"][0])
        left = timedelta(seconds=expires - clock.now().timestamp())
        assert first == second
        assert timedelta(0) < left <= settings.attachment_link_ttl + timedelta(minutes=1)
        assert settings.attachment_link_ttl == timedelta(minutes=5)
        assert first.startswith(f"/attachments/{attachment_id}?viewer={me}&expires={expires}&")


class TestVisibilityWhenServed:
    """A link handed to a neighbour stops working once they may no longer see the report."""

    async def _neighbours_link(self, api: Api, deps: Deps) -> tuple[str, str]:
        reporter = await api.login("13800000004")
        photo = await uploaded_by_service(deps, api, reporter)
        viewer = await api.data("Viewer", token=reporter)
        submitted = await api.data(
            "SubmitReport",
            {
                "input": {
                    "communityId": viewer["viewer"]["memberships"][0]["community"]["id"],
                    "category": "REPAIR",
                    "title": "金安里 6 栋雨棚破损",
                    "description": "雨棚玻璃裂开，有掉落风险。",
                    "location": {"lat": 24.5084, "lng": 118.1847},
                    "photoIds": [photo],
                }
            },
            token=reporter,
        )
        report_id = submitted["submitReport"]["report"]["id"]
        neighbour = await api.login("13800000006")
        detail = await api.data("ReportDetail", {"id": report_id}, token=neighbour)
        (seen,) = detail["report"]["photos"]
        return report_id, seen["url"]

    async def test_a_report_turned_private(
        self, api: Api, demo: Deps, http: httpx.AsyncClient
    ) -> None:
        report_id, url = await self._neighbours_link(api, demo)
        assert (await http.get(url)).status_code == 200

        # No mutation changes a report's visibility: as an operator would, in the database.
        object_id = from_global_id(report_id, "Report")
        document = await demo.db["reports"].find_one({"_id": object_id})
        assert document is not None
        private = Report.from_document(document).model_copy(
            update={"visibility": ReportVisibility.PRIVATE}
        )
        await demo.db["reports"].update_one(
            {"_id": object_id},
            {"$set": {"visibility": "PRIVATE", "audience": private.audience}},
        )

        response = await http.get(url)
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    async def test_a_report_deleted(self, api: Api, demo: Deps, http: httpx.AsyncClient) -> None:
        report_id, url = await self._neighbours_link(api, demo)

        await demo.db["reports"].delete_one({"_id": from_global_id(report_id, "Report")})

        assert (await http.get(url)).status_code == 404


async def uploaded_by_service(deps: Deps, api: Api, token: str) -> str:
    viewer = await api.data("Viewer", token=token)
    user_id = from_global_id(viewer["viewer"]["id"], "User")
    assert user_id is not None
    photo = await stored(deps, user_id)
    return to_global_id("Attachment", photo.id)
