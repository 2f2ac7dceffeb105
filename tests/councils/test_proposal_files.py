"""A proposal's photos and documents (a contractor's PDF quote), and who sees them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.attachments import service as attachments
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.settings import Settings
from tests.attachments.support import jpeg
from tests.conftest import Api
from tests.councils.ballots_support import contract, oid
from tests.councils.support import CHAIR, COUNCIL, HOUSEMATE, JINSHAN_CHAIR, Hall
from tests.platform.conftest import serve

# A minimal, valid one-page PDF: the contractor's quote.
QUOTE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

FILES = """
query ProposalFiles($id: ID!) {
  proposal(id: $id) { id attachments { id contentType byteSize url } }
}
"""


async def upload(hall: Hall, who: str, data: bytes, filename: str) -> str:
    owner = oid(await hall.user_id(who))
    stored = await attachments.upload(hall.deps, Actor(user_id=owner), filename=filename, data=data)
    return to_global_id("Attachment", stored.id)


async def files(hall: Hall, proposal_id: str, who: str) -> Any:
    result = await hall.api.execute(FILES, {"id": proposal_id}, token=await hall.token(who))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["proposal"]


class TestProposalFiles:
    async def test_photos_and_a_pdf_quote_follow_the_proposal(
        self, api: Api, deps: Deps, settings: Settings
    ) -> None:
        hall = await Hall.open(api, deps)
        photo_id = await upload(hall, CHAIR, jpeg(), "8栋楼道现状.jpg")
        quote_id = await upload(hall, CHAIR, QUOTE_PDF, "加装电梯报价单.pdf")
        proposal_id = await hall.create(attachmentIds=[photo_id, quote_id])
        seen = await files(hall, proposal_id, HOUSEMATE)  # a resident of the community
        assert [(f["id"], f["contentType"]) for f in seen["attachments"]] == [
            (photo_id, "image/jpeg"),
            (quote_id, "application/pdf"),
        ]
        assert seen["attachments"][1]["byteSize"] == len(QUOTE_PDF)  # stored as sent
        assert await files(hall, proposal_id, JINSHAN_CHAIR) is None  # another community
        stored = await deps.db["attachments.files"].find_one({"_id": oid(quote_id)})
        assert stored is not None
        assert stored["metadata"]["subject_id"] == oid(proposal_id)

        # The quote downloads as a file, never shown in the page; the photo shows inline.
        async with (
            serve(create_app(settings, deps=deps)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as http,
        ):
            quote = await http.get(seen["attachments"][1]["url"])
            assert quote.status_code == 200
            assert quote.content == QUOTE_PDF
            assert quote.headers["content-type"] == "application/pdf"
            assert quote.headers["content-disposition"] == "attachment"
            assert "sandbox" in quote.headers["content-security-policy"]
            photo = await http.get(seen["attachments"][0]["url"])
            assert photo.headers["content-disposition"] == "inline"

    async def test_a_suggestion_carries_files_too(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        photo_id = await upload(hall, HOUSEMATE, jpeg(), "楼道电动车.jpg")
        suggested = await contract(
            hall,
            "SuggestProposal",
            {
                "councilId": hall.councils[COUNCIL],
                "title": "楼道禁止电动车充电",
                "body": "建议统一规划充电区域。",
                "attachmentIds": [photo_id],
            },
            HOUSEMATE,
        )
        assert suggested["errors"] == []
        seen = await files(hall, suggested["proposal"]["id"], CHAIR)
        assert [f["id"] for f in seen["attachments"]] == [photo_id]

    async def test_someone_elses_upload_is_refused_and_nothing_created(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        theirs = await upload(hall, HOUSEMATE, jpeg(), "别人的照片.jpg")
        payload = await hall.create_payload(attachmentIds=[theirs])
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "attachmentIds"])
        ]
        assert await deps.db["proposals"].count_documents({"attachment_ids": oid(theirs)}) == 0

    async def test_a_pdf_is_no_photo_elsewhere(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        quote_id = await upload(hall, CHAIR, QUOTE_PDF, "报价单.pdf")
        owner = Actor(user_id=oid(await hall.user_id(CHAIR)))
        with pytest.raises(DomainError) as refused:
            await attachments.attach(
                deps, owner, attachment_ids=[oid(quote_id)], subject_id=oid(quote_id),
                place_path=[], field=("input", "photoIds"),
            )  # fmt: skip
        (problem,) = refused.value.problems
        assert (problem.code, problem.message) == ("INVALID_INPUT", "attachment.not_an_image")
