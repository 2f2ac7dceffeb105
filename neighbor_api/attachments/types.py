"""GraphQL types of attachments."""

from __future__ import annotations

from datetime import datetime

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.attachments import service
from neighbor_api.attachments.models import Attachment
from neighbor_api.context import Info, Viewer
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import node_type
from neighbor_api.graphql.sync import MaybeAwaitable, then


@node_type
@strawberry.type(
    name="Attachment",
    description="A file (a photo) a user uploaded, to attach to what they create (a report).",
)
class AttachmentType(relay.Node):
    id: relay.NodeID[str]
    content_type: str = strawberry.field(
        description="image/jpeg, image/png, image/webp, image/heic or application/pdf (a "
        "proposal's documents only), read from the content."
    )
    byte_size: int = strawberry.field(description="The size in bytes.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    model: strawberry.Private[Attachment]

    @classmethod
    def from_model(cls, attachment: Attachment) -> AttachmentType:
        return cls(
            id=str(attachment.id),
            content_type=attachment.content_type.value,
            byte_size=attachment.byte_size,
            created_at=attachment.created_at,
            model=attachment,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> AttachmentType | None:
        attachment = await info.context.loaders.attachment.load(object_id)
        if attachment is None or not await service.can_see(
            info.context.deps, await info.context.actor(), attachment
        ):
            return None
        return cls.from_model(attachment)

    @strawberry.field(
        description="Where to download it (a path on this server): a signed link for the "
        "viewer, valid for a few minutes and only while they may see the file; ask again for "
        "a fresh one.",
        graphql_type=str,
    )
    def url(self, info: Info) -> MaybeAwaitable[str]:
        deps = info.context.deps

        def signed(viewer: Viewer | None) -> str:
            if viewer is None:  # never: only a signed-in viewer sees an attachment
                raise Unauthenticated()
            link_viewer = service.LinkViewer(viewer.session_id, viewer.user.id)
            return service.signed_url(
                deps.settings, self.model.id, viewer=link_viewer, now=deps.clock.now()
            )

        return then(info.context.viewer_now(), signed)


@strawberry.type(description="The result of uploadAttachment.")
class UploadAttachmentPayload(Payload):
    attachment: AttachmentType | None = strawberry.field(
        default=None, description="The stored file, not attached to anything yet."
    )
