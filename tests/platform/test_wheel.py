"""The package as an operator installs it: the wheel (built through the sdist, as `python -m
build` does, from a copy of what the Dockerfile copies) in a fresh virtualenv outside the source
tree, run from a directory that is not the checkout. `seed --demo` and `serve --demo` find the
demo street, and GraphiQL's assets come from the installed package. One build and install per
test session (about 40 s)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from neighbor_api.graphiql import manifest
from tests.conftest import DEMO_PASSWORD, OPERATIONS
from tests.platform.processes import cli_env, running_server

ROOT = Path(__file__).resolve().parents[2]
LEFTOVERS = shutil.ignore_patterns("__pycache__", "*.egg-info")
INSTALL_TIMEOUT_SECONDS = 600

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run to the end; its output (the output is the failure message if it fails)."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    return result.stdout


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtualenv with the wheel installed (and nothing else of
    ours: the source tree is on no path)."""
    work = tmp_path_factory.mktemp("wheel")
    # What the Dockerfile copies, and nothing else: a checkout's leftovers (the editable
    # install's neighbor_api.egg-info/SOURCES.txt) would add files the package data misses.
    source = work / "source"
    shutil.copytree(ROOT / "neighbor_api", source / "neighbor_api", ignore=LEFTOVERS)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "build", "--outdir", work / "dist", source, cwd=work)
    (wheel,) = (work / "dist").glob("neighbor_api-*.whl")
    run(sys.executable, "-m", "venv", work / "venv", cwd=work)
    bin_dir = work / "venv" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-compile", wheel, cwd=work)
    return bin_dir


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A child's environment with its own data directory (the embedded database)."""
    return cli_env(NEIGHBOR_DATA_DIR=str(tmp_path / "data"))


async def test_the_installed_package_seeds_and_serves_the_demo(
    installed: Path, env: dict[str, str], tmp_path: Path
) -> None:
    where = run(
        installed / "python",
        "-c",
        "import neighbor_api; print(neighbor_api.__file__)",
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.strip()).is_relative_to(installed.parent), where

    seeded = run(installed / "neighbor-api", "seed", "--demo", cwd=tmp_path, env=env)
    assert "demo data loaded" in seeded

    async with (
        running_server(
            "--demo", env=env, cwd=tmp_path, command=(installed / "neighbor-api",)
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        login = await http.post(
            "/graphql",
            json={
                "query": OPERATIONS["Login"],
                "operationName": "Login",
                "variables": {"input": {"phone": "13800000001", "password": DEMO_PASSWORD}},
            },
        )
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assets = {asset.url: await http.get(asset.url) for asset in manifest().files}
        console = await http.get("/console/")
        entry = re.search(r'<script type="module"[^>]* src="([^"]+)"', console.text)
        console_script = await http.get(entry.group(1)) if entry else None

    assert login.json()["data"]["login"]["viewer"]["displayName"] == "林美华"
    # The console's build is package data too: the wheel serves it with nothing else installed.
    assert console.status_code == 200
    assert console_script is not None
    assert console_script.status_code == 200
    assert page.status_code == 200
    for asset in manifest().files:
        if asset.kind != "licence":
            assert asset.url in page.text
        response = assets[asset.url]
        assert response.status_code == 200, asset.url
        assert hashlib.sha256(response.content).hexdigest() == asset.sha256, asset.url
