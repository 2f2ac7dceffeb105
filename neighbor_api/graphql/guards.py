"""HTTP-level protection in front of /graphql: body size, and CSRF-safe multipart uploads."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neighbor_api.core.i18n import negotiate, translate
from neighbor_api.graphql.errors import BAD_USER_INPUT, QUERY_TOO_COMPLEX

# A multipart request must carry one of these: a browser cannot add them to a cross-site form
# post without a CORS preflight, so an upload can never be forged from another site.
PREFLIGHT_HEADERS = ("graphql-preflight", "apollo-require-preflight", "x-apollo-operation-name")


class _TooLarge(Exception):
    pass


def _json_error(status: int, message: str, code: str) -> tuple[int, bytes]:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return status, json.dumps(body, ensure_ascii=False).encode()


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_body_bytes = max_upload_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        locale = negotiate(headers.get("accept-language"))
        multipart = headers.get("content-type", "").startswith("multipart/")
        if multipart and not any(h in headers for h in PREFLIGHT_HEADERS):
            message = translate("http.preflight_required", locale)
            await self._respond(send, *_json_error(400, message, BAD_USER_INPUT))
            return
        limit = self.max_upload_body_bytes if multipart else self.max_body_bytes

        def too_large() -> tuple[int, bytes]:  # written only when it is the answer
            detail = {"detail": f"body > {limit} bytes"}
            return _json_error(
                413, translate("query.too_complex", locale, detail), QUERY_TOO_COMPLEX
            )

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._respond(send, *too_large())
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._respond(send, *too_large())

    @staticmethod
    async def _respond(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
