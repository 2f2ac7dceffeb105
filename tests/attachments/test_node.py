"""The Attachment node: only its uploader sees it (until the subject's feature says more)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bson import ObjectId

from neighbor_api.attachments import service
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.relay import from_global_id, to_global_id
from tests.attachments.support import NODE, UPLOAD_DOCUMENT, jpeg, upload_file
from tests.conftest import Api
from tests.places.support import Person, error_codes


async def upload(api: Api, person: Person, content: bytes | None = None) -> dict[str, Any]:
    """uploadAttachment in-process, the file as strawberry hands it to the resolver."""
    result = await api.execute(
        UPLOAD_DOCUMENT, {"file": upload_file(content or jpeg())}, token=person.token
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    payload: dict[str, Any] = result.data["uploadAttachment"]
    assert payload["errors"] == [], payload
    attachment: dict[str, Any] = payload["attachment"]
    return attachment


async def node(api: Api, global_id: str, token: str | None) -> Any:
    result = await api.execute(NODE, {"id": global_id}, token=token)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["node"]


class TestAttachmentNode:
    async def test_the_uploader_sees_it(self, api: Api, owner: Person, clock: ManualClock) -> None:
        attachment = await upload(api, owner)

        found = await node(api, attachment["id"], owner.token)

        assert found == {
            "__typename": "Attachment",
            "id": attachment["id"],
            "url": attachment["url"],
            "contentType": "image/jpeg",
            "byteSize": len(jpeg()),
            "createdAt": clock.now().isoformat(),
        }

    async def test_another_user_sees_null(self, api: Api, owner: Person, stranger: Person) -> None:
        attachment = await upload(api, owner)

        assert await node(api, attachment["id"], stranger.token) is None

    async def test_without_a_token_it_is_null(self, api: Api, owner: Person) -> None:
        attachment = await upload(api, owner)

        assert await node(api, attachment["id"], None) is None

    async def test_once_attached_still_only_the_uploader(
        self, api: Api, deps: Deps, owner: Person, stranger: Person
    ) -> None:
        attachment = await upload(api, owner)
        attachment_id = from_global_id(attachment["id"], "Attachment")
        assert attachment_id is not None
        (stored,) = await service.by_ids(deps, [attachment_id])
        await service.attach(
            deps,
            Actor(user_id=stored.owner_id),
            attachment_ids=[attachment_id],
            subject_id=ObjectId(),
            place_path=[],
            field=("input", "photoIds"),
        )

        assert await node(api, attachment["id"], stranger.token) is None
        assert (await node(api, attachment["id"], owner.token))["id"] == attachment["id"]

    async def test_the_url_is_signed_with_the_request_clock(
        self, api: Api, owner: Person, clock: ManualClock
    ) -> None:
        attachment = await upload(api, owner)
        clock.advance(timedelta(minutes=10))  # within the access token's life

        url = (await node(api, attachment["id"], owner.token))["url"]

        expires = int(parse_qs(urlsplit(url).query)["expires"][0])
        assert url != attachment["url"]
        assert (
            expires
            >= clock.now().timestamp() + api.deps.settings.attachment_link_ttl.total_seconds()
        )

    async def test_an_unknown_id_is_null(self, api: Api, owner: Person) -> None:
        result = await api.execute(
            NODE, {"id": to_global_id("Attachment", ObjectId())}, token=owner.token
        )

        assert error_codes(result) == []
        assert result.data == {"node": None}
