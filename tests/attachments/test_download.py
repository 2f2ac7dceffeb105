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
from neighbor_api.settings import Settings
from tests.attachments.support import cleaned, jpeg, noisy_jpeg, png, stored, uploaded
from tests.conftest import make_settings
from tests.places.support import Person


def with_params(url: str, **params: str) -> str:
    """`url` with some query parameters replaced."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    return f"{parts.path}?" + "&".join(f"{k}={v}" for k, v in query.items())


class TestDownload:
    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            pytest.param(png(), "image/png", id="png"),
            pytest.param(noisy_jpeg(), "image/jpeg", id="jpeg-several-chunks"),
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
        assert response.content == cleaned(content)
        assert response.headers["content-type"] == content_type
        assert response.headers["content-length"] == str(len(cleaned(content)))
        assert response.headers["cache-control"] == "private, max-age=3600"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == "inline"

    async def test_needs_no_token(self, http: httpx.AsyncClient, deps: Deps) -> None:
        """The signature is the permission (an <img src> sends no Authorization header)."""
        attachment = await stored(deps, content=jpeg())
        url = service.signed_url(deps.settings, attachment.id, now=deps.clock.now())

        response = await http.get(url)

        assert response.status_code == 200
        assert response.content == cleaned(jpeg())

    async def test_head_answers_the_headers(self, http: httpx.AsyncClient, deps: Deps) -> None:
        attachment = await stored(deps, content=png())
        url = service.signed_url(deps.settings, attachment.id, now=deps.clock.now())

        response = await http.head(url)

        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-length"] == str(len(cleaned(png())))
        assert response.content == b""

    async def test_a_tampered_signature_is_403(self, http: httpx.AsyncClient, deps: Deps) -> None:
        attachment = await stored(deps)
        url = service.signed_url(deps.settings, attachment.id, now=deps.clock.now())
        signature = parse_qs(urlsplit(url).query)["signature"][0]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

        response = await http.get(with_params(url, signature=flipped))

        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert response.headers["content-type"].startswith("application/json")

    async def test_a_later_expiry_with_the_old_signature_is_403(
        self, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps)
        url = service.signed_url(deps.settings, attachment.id, now=deps.clock.now())
        expires = int(parse_qs(urlsplit(url).query)["expires"][0])

        response = await http.get(with_params(url, expires=str(expires + 86400)))

        assert response.status_code == 403

    async def test_the_signature_of_another_file_is_403(
        self, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        mine, other = await stored(deps), await stored(deps)
        url = service.signed_url(deps.settings, mine.id, now=deps.clock.now())

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
        self, http: httpx.AsyncClient, deps: Deps, query: str
    ) -> None:
        attachment = await stored(deps)

        response = await http.get(f"/attachments/{attachment.id}{query}")

        assert response.status_code == 403

    async def test_an_expired_link_is_403(
        self, http: httpx.AsyncClient, deps: Deps, clock: ManualClock
    ) -> None:
        attachment = await stored(deps)
        url = service.signed_url(deps.settings, attachment.id, now=clock.now())

        clock.advance(timedelta(minutes=59))
        assert (await http.get(url)).status_code == 200
        clock.advance(timedelta(minutes=6))
        response = await http.get(url, headers={"Accept-Language": "en"})

        assert response.status_code == 403
        assert response.json()["errors"][0]["message"] == (
            "The download link is invalid or has expired"
        )

    async def test_a_link_signed_with_another_key_is_403(
        self, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        attachment = await stored(deps)
        other = make_settings(secret_key=SecretStr("another-secret-key-that-is-long-enough"))

        response = await http.get(service.signed_url(other, attachment.id, now=deps.clock.now()))

        assert response.status_code == 403

    async def test_an_unknown_file_is_404(self, http: httpx.AsyncClient, deps: Deps) -> None:
        url = service.signed_url(deps.settings, ObjectId(), now=deps.clock.now())

        response = await http.get(url)

        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    async def test_a_malformed_id_is_404(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/attachments/not-an-id?expires=1&signature=00")

        assert response.status_code == 404


class TestSignedUrl:
    def test_lives_at_least_an_hour_and_is_stable_for_minutes(
        self, settings: Settings, clock: ManualClock
    ) -> None:
        attachment_id = ObjectId()
        clock.advance(timedelta(seconds=1))
        first = service.signed_url(settings, attachment_id, now=clock.now())
        clock.advance(timedelta(seconds=59))
        second = service.signed_url(settings, attachment_id, now=clock.now())

        expires = int(parse_qs(urlsplit(first).query)["expires"][0])
        assert first == second
        assert timedelta(hours=1) <= timedelta(seconds=expires - clock.now().timestamp())
        assert timedelta(seconds=expires - clock.now().timestamp()) <= timedelta(minutes=65)
        assert first.startswith(f"/attachments/{attachment_id}?expires={expires}&signature=")
