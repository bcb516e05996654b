"""`mlcollage serve` in Chromium: an edit reloads the page through the event stream (the status
endpoint, the old poll's, is blocked), a broken edit shows the overlay, and a restarted server
is found again."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ALPHA, DATA, REPO, make_project

PAGE = "2020-01/alpha-2019-toy/index.html"


def start(project: Path, port: int = 0) -> tuple[subprocess.Popen, str]:
    log = project.parent / f"serve-{time.monotonic_ns()}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlcollage.cli", "serve", "-C", str(project), "--port",
             str(port)], stdout=fh, stderr=subprocess.STDOUT, env=env,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", log.read_text())
        if m:
            return proc, m.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not start: " + log.read_text())


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)


def shows(page, text: str, project: Path, timeout: int = 10_000) -> None:
    """Wait until the page shows ``text``; on a timeout, fail with what the servers printed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=text,
                               timeout=timeout)
    except PlaywrightTimeout:
        logs = "\n".join(f"--- {log.name}\n{log.read_text()}"
                         for log in sorted(project.parent.glob("serve-*.log")))
        pytest.fail(f"the page never showed {text!r} ({page.url}):\n{logs}")


@pytest.fixture
def served(tmp_path: Path):
    project = make_project(tmp_path / "proj")
    shutil.rmtree(project / "figures")
    shutil.copytree(DATA / "figures", project / "figures")  # frozen: nothing to run
    proc, url = start(project)
    procs = [proc]  # the test may restart it
    yield project, url, procs
    for p in procs:
        if p.poll() is None:
            stop(p)


def test_edit_reloads_the_page_by_push_and_errors_show_the_overlay(served, browser) -> None:
    project, url, procs = served
    page = browser.new_page()
    polled: list[str] = []
    page.route("**/__mlcollage/status*", lambda route: (polled.append(route.request.url),
                                                        route.abort()))
    page.goto(url + PAGE)
    page.wait_for_function("() => window.EventSource !== undefined")
    page.evaluate("window.__marker = 1")  # gone once the page reloads
    index = project / ALPHA / "index.md"
    good = index.read_text()
    index.write_text(good.replace("fits a line", "fits a pushed line"))
    shows(page, "fits a pushed line", project)
    assert page.evaluate("window.__marker") is None  # a reload, not an edit in place
    assert polled == []  # the status endpoint was never asked: the push did it

    index.write_text(good.replace("title: A Toy Paper", "title: [A Toy Paper"))
    alert = page.wait_for_selector("pre[role=alert]", timeout=10_000)
    assert "the last edit did not build" in alert.text_content()
    assert "index.md:2: invalid YAML" in alert.text_content()
    index.write_text(good.replace("fits a line", "fits a mended line"))
    shows(page, "fits a mended line", project)
    assert page.query_selector("pre[role=alert]") is None

    port = int(url.rstrip("/").rsplit(":", 1)[1])  # restart on the same port: the tab reconnects
    stop(procs[0])
    index.write_text(good.replace("fits a line", "fits a restarted line"))
    procs[0], _ = start(project, port)  # its count starts again: the tab reloads all the same
    shows(page, "fits a restarted line", project, timeout=20_000)
    assert polled == []
    page.close()


def test_an_event_stream_answered_with_an_error_is_opened_again(served, browser) -> None:
    """A bad answer (a proxy's 502 while the server restarts) ends an EventSource for good;
    the page opens a new one."""
    project, url, _ = served
    page = browser.new_page()
    asked: list[str] = []

    def first_refused(route):
        asked.append(route.request.url)
        if len(asked) == 1:
            route.fulfill(status=502, body="bad gateway")
        else:
            route.continue_()

    page.route("**/__mlcollage/events", first_refused)
    page.goto(url + PAGE)
    for _ in range(100):  # the page asks again 300 ms after the bad answer
        if len(asked) >= 2:
            break
        page.wait_for_timeout(50)
    assert len(asked) >= 2, asked
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("fits a line", "fits a second-stream line"))
    shows(page, "fits a second-stream line", project)
    page.close()
