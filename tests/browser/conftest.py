"""A built copy of the real site served from a sub-path, and a headless Debian Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from helpers import REPO, run_cli

CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / ".cache/npm/node_modules/axe-core/axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
SUBPATH = "digest/"


def _missing(what: str) -> None:
    message = f"{what} is missing; `make test` installs it (scripts/system-deps.sh)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def site_url(tmp_path_factory):
    """The real site built from frozen results into <tmp>/digest/, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("www")
    result = run_cli("build", "-C", REPO, "--no-run", "--out", root / SUBPATH,
                     "--base-url", "https://example.org/digest/")
    assert result.code == 0, result.err
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{SUBPATH}", root / SUBPATH
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _missing("Debian's chromium (/usr/bin/chromium)")
    try:
        import playwright.sync_api as playwright
    except ImportError:
        _missing("the playwright package (the [test] extra)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing("axe-core (npm)")
    return AXE.read_text()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ARTIFACTS / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
