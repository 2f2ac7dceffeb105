"""GET /personal-data/export: the viewer's personal data as one JSON document, for whoever holds
the signed, short-lived link `exportMyData` gave them (`service.export_link`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import negotiate, translate
from neighbor_api.privacy import service
from neighbor_api.privacy.service import LinkCheck

# Status, code and message of each refusal: a link cut short or not one of ours (400), a
# signature that does not match (tampered: 403), a link past its few minutes (410), and an
# account that is gone (deleted since: 410).
REFUSALS: dict[LinkCheck, tuple[int, str, str]] = {
    LinkCheck.MALFORMED: (400, "INVALID_INPUT", "export.link_malformed"),
    LinkCheck.TAMPERED: (403, "FORBIDDEN", "export.link_invalid"),
    LinkCheck.EXPIRED: (410, "LINK_EXPIRED", "export.link_expired"),
}
GONE = (410, "NOT_FOUND", "export.account_gone")


def _refuse(request: Request, refusal: tuple[int, str, str]) -> JSONResponse:
    status, code, message = refusal
    text = translate(message, negotiate(request.headers.get("accept-language")))
    return JSONResponse(
        {"errors": [{"message": text, "extensions": {"code": code}}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def export_endpoint(deps: Callable[[], Deps]) -> Callable[[Request], Awaitable[Response]]:
    async def export(request: Request) -> Response:
        current = deps()
        check, user_id = service.check_export_link(
            current.settings,
            user=request.query_params.get("user"),
            expires=request.query_params.get("expires"),
            signature=request.query_params.get("signature"),
            now=current.clock.now(),
        )
        if check is not LinkCheck.VALID or user_id is None:
            return _refuse(request, REFUSALS.get(check, REFUSALS[LinkCheck.MALFORMED]))
        body = await service.export_document(current, user_id)
        if body is None:
            return _refuse(request, GONE)
        return Response(
            body,
            media_type="application/json; charset=utf-8",
            headers={
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": 'attachment; filename="personal-data.json"',
            },
        )

    return export
