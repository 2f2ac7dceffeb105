"""GraphiQL's pinned browser assets: the manifest, and the app that serves them."""

from __future__ import annotations

import base64
import os
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import ASGIApp, Scope

STATIC_PATH = "/graphiql/static"
PACKAGE, FOLDER = "neighbor_api.graphiql", "static"
# Each file's name carries its version (`graphiql-3.9.0.min.js`): what a URL names never changes.
CACHE_FOREVER = "public, max-age=31536000, immutable"


class Asset(BaseModel):
    file: str
    kind: Literal["script", "style", "licence"]
    package: str
    version: str
    path: str
    license: str
    sha256: str

    @property
    def url(self) -> str:
        return f"{STATIC_PATH}/{self.file}"

    @property
    def integrity(self) -> str:
        """The subresource-integrity value the page gives the browser to check."""
        return "sha256-" + base64.b64encode(bytes.fromhex(self.sha256)).decode()


class Manifest(BaseModel):
    about: str
    files: list[Asset]


@cache
def manifest() -> Manifest:
    """static/manifest.json, written by scripts/update-graphiql."""
    text = (files(PACKAGE) / FOLDER / "manifest.json").read_text(encoding="utf-8")
    return Manifest.model_validate_json(text)


class _CachedStaticFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = CACHE_FOREVER
        return response


def static_app() -> ASGIApp:
    """The static/ folder of the installed package, cacheable forever, gzipped on request
    (1.5 MB, 0.6 MB gzipped: the styles embed their fonts)."""
    return GZipMiddleware(_CachedStaticFiles(packages=[(PACKAGE, FOLDER)]), minimum_size=1024)
