"""GraphiQL offline: the shipped assets match their manifest, and the page at GET /graphql
references only the server's own files, which it serves (the browser test renders it)."""

from __future__ import annotations

import gzip
import hashlib
from html.parser import HTMLParser
from importlib.resources import files

import httpx

from neighbor_api.graphiql import STATIC_PATH, manifest

STATIC = files("neighbor_api.graphiql") / "static"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


class _References(HTMLParser):
    """Every URL the page makes the browser load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)


def references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    return parser.urls


class TestManifest:
    def test_every_shipped_file_matches_its_checksum(self) -> None:
        for asset in manifest().files:
            content = (STATIC / asset.file).read_bytes()
            assert hashlib.sha256(content).hexdigest() == asset.sha256, asset.file

    def test_lists_every_shipped_file(self) -> None:
        shipped = {entry.name for entry in STATIC.iterdir()} - {"manifest.json"}

        assert shipped == {asset.file for asset in manifest().files}

    def test_each_package_is_pinned_licensed_and_ships_its_licence(self) -> None:
        assets = manifest().files
        packages = {(a.package, a.version, a.license) for a in assets}
        licences = {(a.package, a.version) for a in assets if a.kind == "licence"}

        assert {(package, version) for package, version, _ in packages} == licences
        assert {license for _, _, license in packages} == {"MIT"}
        assert {package for package, _, _ in packages} == {
            "graphiql",
            "graphql-ws",
            "react",
            "react-dom",
        }
        for asset in assets:  # the version is in the name: URLs can be cached forever
            assert asset.version in asset.file, asset.file


class TestPage:
    async def test_a_browser_gets_the_page_with_only_local_assets(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get("/graphql", headers=BROWSER)

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        assert "unpkg" not in response.text
        urls = [url for url in references(response.text) if not url.startswith("data:")]
        wanted = {a.url for a in manifest().files if a.kind != "licence"}
        assert set(urls) == wanted
        for asset in manifest().files:
            if asset.kind != "licence":
                assert f'integrity="{asset.integrity}"' in response.text

    async def test_assets_are_served_cacheable_forever_and_gzipped(
        self, http: httpx.AsyncClient
    ) -> None:
        for asset in manifest().files:
            response = await http.get(asset.url)

            assert response.status_code == 200, asset.url
            assert hashlib.sha256(response.content).hexdigest() == asset.sha256
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        script = next(a for a in manifest().files if a.file.startswith("graphiql-"))
        raw = await http.get(script.url, headers={"Accept-Encoding": "gzip"})
        async with http.stream("GET", script.url, headers={"Accept-Encoding": "gzip"}) as wire:
            compressed = b"".join([chunk async for chunk in wire.aiter_raw()])

        assert raw.headers["content-encoding"] == "gzip"
        assert gzip.decompress(compressed) == raw.content
        assert len(compressed) < len(raw.content) / 2

    async def test_an_unchanged_asset_is_not_sent_again(self, http: httpx.AsyncClient) -> None:
        url = manifest().files[0].url
        first = await http.get(url)

        again = await http.get(url, headers={"If-None-Match": first.headers["etag"]})

        assert again.status_code == 304
        assert again.content == b""

    async def test_an_unknown_asset_is_404(self, http: httpx.AsyncClient) -> None:
        for path in ("nothing.js", "../page.html", "..%2Fpage.html", "%2e%2e/assets.py"):
            response = await http.get(f"{STATIC_PATH}/{path}")

            assert response.status_code == 404, path

    async def test_speaks_the_browsers_language(self, http: httpx.AsyncClient) -> None:
        chinese = await http.get("/graphql", headers=BROWSER)
        english = await http.get("/graphql", headers={**BROWSER, "Accept-Language": "en-GB"})

        assert '<html lang="zh-CN">' in chinese.text
        assert "<title>近邻 API · GraphiQL</title>" in chinese.text
        assert "填入下方的 Headers 面板" in chinese.text
        assert '<html lang="en">' in english.text
        assert "<title>Neighbor API · GraphiQL</title>" in english.text
        assert "in the Headers pane below" in english.text
        assert "accept-language" in chinese.headers["vary"].lower()

    async def test_a_client_asking_for_json_still_gets_graphql(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get(
            "/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"}
        )

        assert response.json() == {"data": {"__typename": "Query"}}
