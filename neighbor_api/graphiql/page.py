"""The GraphiQL page: page.html with the manifest's scripts and styles, in the request's
language. It references nothing but the server's own /graphiql/static/ files."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse

from neighbor_api.core.i18n import Locale, negotiate, translate
from neighbor_api.graphiql.assets import PACKAGE, manifest

DEFAULT_QUERY = "\n{\n  __typename\n}\n"


@cache
def render(locale: Locale) -> str:
    assets = manifest().files
    styles = [
        f'    <link rel="stylesheet" href="{a.url}" integrity="{a.integrity}" />'
        for a in assets
        if a.kind == "style"
    ]
    scripts = [
        f'    <script src="{a.url}" integrity="{a.integrity}"></script>'
        for a in assets
        if a.kind == "script"
    ]
    config = {"defaultQuery": translate("graphiql.welcome", locale) + DEFAULT_QUERY}
    # JSON inside a <script>: no "<" may close it.
    config_js = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    template = (files(PACKAGE) / "page.html").read_text(encoding="utf-8")
    for name, value in (
        ("lang", locale.value),
        ("title", html.escape(translate("graphiql.title", locale))),
        ("styles", "\n".join(styles)),
        ("scripts", "\n".join(scripts)),
        ("config", config_js),
    ):
        template = template.replace("{{" + name + "}}", value)
    return template


def page(request: Request) -> HTMLResponse:
    """GET /graphql for a browser. The page is small and names its assets by version, so it is
    never cached itself; it differs by language."""
    locale = negotiate(request.headers.get("accept-language"))
    return HTMLResponse(
        render(locale),
        headers={"Cache-Control": "no-cache", "Vary": "Accept, Accept-Language"},
    )
