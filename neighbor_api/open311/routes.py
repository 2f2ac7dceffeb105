"""The GeoReport v2 endpoints, mounted by the app under /open311/v2:

    GET  discovery.{json,xml}           Open311 Service Discovery
    GET  services.{json,xml}            the report categories as services
    GET  services/{code}.{json,xml}     a service definition
    POST requests.{json,xml}            file a report (api_key required)
    GET  requests.{json,xml}            public reports, filtered
    GET  requests/{id}.{json,xml}       one public report

Each parses what was sent, calls `open311.service` and shapes the answer (`documents.py`,
`formats.py`). A refusal is the spec's error list with the status of its code, never a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, Problem
from neighbor_api.core.i18n import Locale, negotiate, translate
from neighbor_api.open311 import documents, service
from neighbor_api.open311.formats import Format, errors, respond
from neighbor_api.settings import Environment

Handler = Callable[[Request, Deps, Format, Locale], Awaitable[Response]]

STATUSES: Mapping[ErrorCode, int] = {
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.RATE_LIMITED: 429,
}
# The GeoReport parameter behind a field the reports service checks.
PARAMETERS = {"title": "description", "description": "description", "address": "address_string"}
NO_STORE = {"Cache-Control": "no-store"}


def _description(problem: Problem, locale: Locale) -> str:
    text = translate(problem.message, locale, problem.params)
    if problem.message.startswith("open311.") or not problem.field:
        return text
    return f"{PARAMETERS.get(problem.field[-1], problem.field[-1])}: {text}"


def _refusal(error: DomainError, fmt: Format, locale: Locale) -> Response:
    status = STATUSES.get(error.problems[0].code, 400)
    return errors(fmt, status, [_description(p, locale) for p in error.problems])


def _endpoint(
    deps: Callable[[], Deps], handlers: Mapping[str, Handler]
) -> Callable[[Request], Awaitable[Response]]:
    """One path: its handler per method; the format from the path's extension."""

    async def endpoint(request: Request) -> Response:
        locale = negotiate(request.headers.get("accept-language"))
        try:
            fmt = Format(request.path_params.get("fmt", ""))
        except ValueError:
            return errors(Format.JSON, 404, [translate("open311.not_found", locale)])
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers.get(method)
        if handler is None:
            return errors(fmt, 405, [translate("open311.method_not_allowed", locale)])
        try:
            return await handler(request, deps(), fmt, locale)
        except DomainError as error:
            return _refusal(error, fmt, locale)

    return endpoint


async def _discovery(request: Request, deps: Deps, fmt: Format, locale: Locale) -> Response:
    url = str(request.url_for("open311", path="")).rstrip("/")
    production = deps.settings.environment is Environment.PRODUCTION
    body = documents.discovery(url, production=production, locale=locale)
    return respond(fmt, body, root="discovery", item="endpoint")


async def _services(request: Request, deps: Deps, fmt: Format, locale: Locale) -> Response:
    service.check_jurisdiction(deps, request.query_params.get("jurisdiction_id"))
    body = [documents.service(c, locale) for c in service.services()]
    return respond(fmt, body, root="services", item="service")


async def _definition(request: Request, deps: Deps, fmt: Format, locale: Locale) -> Response:
    service.check_jurisdiction(deps, request.query_params.get("jurisdiction_id"))
    category = service.service(request.path_params["code"])
    body = documents.service_definition(category)
    return respond(fmt, body, root="service_definition", item="attribute")


async def _arguments(request: Request) -> dict[str, str]:
    """A POST's arguments: a form (the spec's encoding), or a JSON object."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DomainError.of(ErrorCode.INVALID_INPUT, "open311.body_invalid")
        return {
            k: str(v)
            for k, v in body.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool)
        }
    try:
        form = await request.form()
    except HTTPException:  # a malformed multipart body
        raise DomainError.of(ErrorCode.INVALID_INPUT, "open311.body_invalid") from None
    try:
        return {k: v for k, v in form.multi_items() if isinstance(v, str)}
    finally:
        await form.close()


async def _create(request: Request, deps: Deps, fmt: Format, locale: Locale) -> Response:
    arguments = await _arguments(request)
    key = await service.partner(deps, arguments.get("api_key"))
    new = service.NewRequest(
        service_code=arguments.get("service_code"),
        lat=arguments.get("lat"),
        long=arguments.get("long"),
        description=arguments.get("description"),
        address_string=arguments.get("address_string"),
        media_url=arguments.get("media_url"),
        jurisdiction_id=arguments.get("jurisdiction_id"),
    )
    filed = await service.create_request(deps, key, new)
    body = [documents.created(filed, locale)]
    return respond(fmt, body, root="service_requests", item="request", headers=NO_STORE)


async def _requests(request: Request, deps: Deps, fmt: Format, locale: Locale) -> Response:
    params = request.query_params
    query = service.RequestQuery(
        service_request_id=params.getlist("service_request_id"),
        service_code=params.getlist("service_code"),
        status=params.getlist("status"),
        start_date=params.get("start_date"),
        end_date=params.get("end_date"),
        jurisdiction_id=params.get("jurisdiction_id"),
    )
    found = await service.find_requests(deps, query)
    body = documents.requests(found, locale)
    return respond(fmt, body, root="service_requests", item="request")


async def _request(request: Request, deps: Deps, fmt: Format, locale: Locale) -> Response:
    service.check_jurisdiction(deps, request.query_params.get("jurisdiction_id"))
    found = await service.get_request(deps, request.path_params["request_id"])
    body = documents.requests(found, locale)
    return respond(fmt, body, root="service_requests", item="request")


async def _unknown(request: Request) -> Response:
    locale = negotiate(request.headers.get("accept-language"))
    return errors(Format.JSON, 404, [translate("open311.not_found", locale)])


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def mount(deps: Callable[[], Deps]) -> Mount:
    """The gateway, for `create_app` to mount at /open311/v2."""

    def route(path: str, handlers: Mapping[str, Handler]) -> Route:
        return Route(path, _endpoint(deps, handlers), methods=ALL_METHODS)

    return Mount(
        "/open311/v2",
        routes=[
            route("/discovery.{fmt}", {"GET": _discovery}),
            route("/services.{fmt}", {"GET": _services}),
            route("/services/{code}.{fmt}", {"GET": _definition}),
            route("/requests.{fmt}", {"GET": _requests, "POST": _create}),
            route("/requests/{request_id}.{fmt}", {"GET": _request}),
            Route("/{path:path}", _unknown, methods=ALL_METHODS),
        ],
        name="open311",
    )
