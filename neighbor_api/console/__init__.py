"""The community workers' web console (`console/`, Vue 3): its built files, shipped in the
package under static/ (`npm run build` in console/ writes them, with build-stamp.json naming the
sources they were built from), served at /console/ on the API's own origin.

Vite names every asset by its content hash (`assets/index-<hash>.js`), so those are cacheable
forever; index.html is revalidated on every load so a new release is picked up at once.
"""

from __future__ import annotations

import os
from importlib.resources import files

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

PATH = "/console"
PACKAGE, FOLDER = "neighbor_api.console", "static"
CACHE_FOREVER = "public, max-age=31536000, immutable"


def built() -> bool:
    """Whether the package carries the console's build (a checkout before `npm run build`
    does not; the shipped one always does)."""
    return (files(PACKAGE) / FOLDER / "index.html").is_file()


class _ConsoleFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if "/assets/" in str(full_path).replace(os.sep, "/"):
            response.headers["Cache-Control"] = CACHE_FOREVER
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response


async def _to_folder(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{PATH}/", status_code=308)


def routes() -> list[BaseRoute]:
    """/console redirects to /console/, which serves index.html; the app routes by the URL's
    hash (/console/#/reports), so no other path needs the page."""
    app = _ConsoleFiles(packages=[(PACKAGE, FOLDER)], html=True)
    return [
        Route(PATH, _to_folder),
        Mount(PATH, GZipMiddleware(app, minimum_size=1024)),
    ]
