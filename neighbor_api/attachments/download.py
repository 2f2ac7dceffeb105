"""GET /attachments/{id}: a file, for the viewer a signed link was made for (`service.signed_url`,
handed out only by GraphQL fields that checked the viewer may see the file), checked again as
of now: the link unexpired, the viewer's session live, the file still visible to them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from neighbor_api.attachments import service
from neighbor_api.attachments.models import IMAGE_TYPES
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import ErrorCode
from neighbor_api.core.i18n import negotiate, translate
from neighbor_api.core.ids import parse_object_id


def _error(request: Request, status: int, code: ErrorCode, message: str) -> JSONResponse:
    text = translate(message, negotiate(request.headers.get("accept-language")))
    return JSONResponse(
        {"errors": [{"message": text, "extensions": {"code": code.value}}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def download_endpoint(
    deps: Callable[[], Deps], actor_of: service.ViewerActor
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint: 404 for an id that is not a file or a file the link's viewer may no longer
    see (a report turned PRIVATE, deleted, the viewer's membership ended), 403 for a link
    tampered with or expired or whose session ended, else the file streamed from GridFS."""

    async def download(request: Request) -> Response:
        current = deps()
        attachment_id = parse_object_id(request.path_params["attachment_id"])
        if attachment_id is None:
            return _error(request, 404, ErrorCode.NOT_FOUND, "attachment.not_found")
        viewer = service.link_viewer(
            current.settings,
            attachment_id,
            viewer=request.query_params.get("viewer"),
            expires=request.query_params.get("expires"),
            signature=request.query_params.get("signature"),
            now=current.clock.now(),
        )
        actor = await actor_of(current, viewer.session_id, viewer.user_id) if viewer else None
        if actor is None:
            return _error(request, 403, ErrorCode.FORBIDDEN, "attachment.link_invalid")
        opened = await service.open_download(current, attachment_id)
        if opened is None:
            return _error(request, 404, ErrorCode.NOT_FOUND, "attachment.not_found")
        if not await service.can_see(current, actor, opened.attachment):
            await opened.chunks.aclose()
            return _error(request, 404, ErrorCode.NOT_FOUND, "attachment.not_found")
        max_age = int(current.settings.attachment_link_ttl.total_seconds())
        headers = {
            "Content-Length": str(opened.attachment.byte_size),
            "Cache-Control": f"private, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
            # A document (PDF) is saved, never opened in the page; images show inline.
            "Content-Disposition": "inline"
            if opened.attachment.content_type in IMAGE_TYPES
            else "attachment",
            # Never a document: nothing in it may run, even if a browser opened it as one.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
        media_type = opened.attachment.content_type.value
        if request.method == "HEAD":
            await opened.chunks.aclose()
            return Response(headers=headers, media_type=media_type)
        return StreamingResponse(opened.chunks, headers=headers, media_type=media_type)

    return download
