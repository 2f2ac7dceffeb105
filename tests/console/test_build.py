"""The console's shipped build (neighbor_api/console/static): built from the sources as they are
now, served at /console/ with the right caching, and light enough on first load."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from importlib.resources import files
from pathlib import Path

import httpx

from neighbor_api import console

ROOT = Path(__file__).resolve().parent.parent.parent
CONSOLE = ROOT / "console"
STATIC = Path(str(files(console.PACKAGE) / console.FOLDER))
# What console/scripts/stamp.mjs hashes, in the same order and framing.
SOURCES = [
    "src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json",
    "codegen.ts",
]  # fmt: skip
FIRST_LOAD_LIMIT = 1_500_000  # bytes of JavaScript, gzipped


def sources_hash() -> tuple[str, int]:
    paths: list[Path] = []
    for name in SOURCES:
        path = CONSOLE / name
        paths.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    relative = sorted(p.relative_to(CONSOLE).as_posix() for p in paths)
    digest = hashlib.sha256()
    for name in relative:
        digest.update(name.encode() + b"\0")
        digest.update((CONSOLE / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest(), len(relative)


def test_the_shipped_build_is_built_from_the_sources_as_they_are() -> None:
    stamp = json.loads((STATIC / "build-stamp.json").read_text(encoding="utf-8"))
    expected, count = sources_hash()
    assert (stamp["sources"], stamp["files"]) == (expected, count), (
        "neighbor_api/console/static is older than console/ (its sources or lockfile changed):"
        " run `npm ci && npm run build` in console/ and commit the result"
    )


def first_load_scripts(index: str) -> list[str]:
    """The scripts index.html loads at once: its module entry and the chunks it preloads."""
    tags = r'<(?:script type="module"[^>]*|link rel="modulepreload"[^>]*) (?:src|href)="([^"]+)"'
    return re.findall(tags, index)


def test_first_load_javascript_is_at_most_1_5_mb_gzipped() -> None:
    index = (STATIC / "index.html").read_text(encoding="utf-8")
    scripts = first_load_scripts(index)
    assert scripts, index
    sizes = {
        url: len(gzip.compress((STATIC / url.removeprefix("/console/")).read_bytes()))
        for url in scripts
    }
    assert sum(sizes.values()) <= FIRST_LOAD_LIMIT, sizes
    assert not any("echarts" in url for url in scripts)  # ECharts loads with the dashboard


async def test_console_is_served_on_the_api_origin(http: httpx.AsyncClient) -> None:
    redirect = await http.get("/console")
    page = await http.get("/console/")
    script = first_load_scripts(page.text)[0]
    asset = await http.get(script, headers={"Accept-Encoding": "gzip"})

    assert redirect.status_code == 308
    assert redirect.headers["location"].endswith("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert '<div id="app">' in page.text
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == console.CACHE_FOREVER
    assert asset.headers["content-encoding"] == "gzip"
    assert (await http.get("/console/assets/nothing-here.js")).status_code == 404
