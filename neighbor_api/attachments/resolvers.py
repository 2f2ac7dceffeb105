"""Uploading files."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from neighbor_api.attachments import service
from neighbor_api.attachments.types import AttachmentType, UploadAttachmentPayload
from neighbor_api.context import Info
from neighbor_api.graphql.errors import run_mutation


@strawberry.type
class AttachmentMutation:
    @strawberry.mutation(
        description="Upload a photo (JPEG, PNG or WebP, at most 10 MB; the type is read "
        "from the content) as a GraphQL multipart request, then name its id where it belongs "
        "(a report's `photoIds`). Uploads never used are deleted after a day."
    )
    async def upload_attachment(self, info: Info, file: Upload) -> UploadAttachmentPayload:
        # A multipart file arrives as Starlette's UploadFile (strawberry types it as bytes).
        stream: service.AsyncReadable | bytes = file
        return await run_mutation(
            info, UploadAttachmentPayload,
            lambda actor: service.upload(
                info.context.deps, actor, filename=getattr(file, "filename", None), data=stream
            ),
            lambda attachment: UploadAttachmentPayload(
                attachment=AttachmentType.from_model(attachment)
            ),
        )  # fmt: skip
