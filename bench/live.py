"""Live preview latency: save an edit -> a real Chromium page shows it (issue 26).

    .venv/bin/python bench/live.py --corpus bench/corpora/n1000 --edits 12
    .venv/bin/python bench/live.py --corpus DIR --tools mlcollage     # one tool only
    .venv/bin/python bench/live.py --corpus DIR --tools mlcollage --src ../other-checkout

For each tool, its dev server runs on the corpus (`mlcollage serve`, `hugo server`), and one
headless Chromium tab (Playwright, Debian's /usr/bin/chromium) shows the edited entry's page.
Each edit appends a sentence with a fresh token to the entry's summary (the file `corpus.json`
names); the latency is from just before the file is written to the moment the reloaded page,
whose `document.body.innerText` holds the token, was parsed (`DOMContentLoaded`, stamped in the
page on the same system clock; its first contentful paint is reported beside it).
Playwright's own round trips are not counted, but reported as `seen_ms`. The page is reloaded
by the tool's own live reload: mlcollage's server-sent event, Hugo's livereload websocket.
Tools alternate edit by edit; the corpus files are restored at the end. Medians and p90 per
tool, every single edit in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CHROMIUM = "/usr/bin/chromium"
PARSED = ("document.addEventListener('DOMContentLoaded', function () {"
          " window.__parsedAt = performance.timeOrigin + performance.now(); });"
          "new PerformanceObserver(function (list) { list.getEntries().forEach(function (e) {"
          " if (e.name === 'first-contentful-paint')"
          " window.__paintedAt = performance.timeOrigin + e.startTime; }); })"
          ".observe({type: 'paint', buffered: true});")
"""Run in every document the tab loads: when it was parsed and first painted (epoch ms, the
system clock)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{url}: the server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url}: no answer within {seconds} s:\n{log.read_text()[-3000:]}")


def start(tool: str, corpus: Path, python: str, logs: Path,
          src: Path = REPO) -> tuple[subprocess.Popen, str]:
    """Start the tool's dev server; return it and the edited page's URL."""
    manifest = json.loads((corpus / "corpus.json").read_text())
    port = free_port()
    month, slug = Path(manifest["edit_files"]["mlcollage"]).parts[1], manifest["edit_slug"]
    log = logs / f"live-{tool}.log"
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if tool == "mlcollage":
        cmd = [python, "-m", "mlcollage.cli", "serve", "-C", str(corpus / "mlcollage"),
               "--port", str(port)]
        page = f"http://127.0.0.1:{port}/{month}/{slug}/index.html"
        env["PYTHONPATH"] = str(src)
    else:
        cmd = ["hugo", "server", "-s", str(corpus / "hugo"), "--bind", "127.0.0.1",
               "--port", str(port), "--baseURL", f"http://127.0.0.1:{port}/"]
        page = f"http://127.0.0.1:{port}/{month}/{slug}/"
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd="/tmp",
                                start_new_session=True)
    wait_http(page, 600, proc, log)
    return proc, page


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def shown(page, token: str, seconds: float = 20.0) -> float:
    """Wait until the tab shows ``token``; return the perf_counter time it was seen."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            page.wait_for_function("t => document.body && document.body.innerText.includes(t)",
                                   arg=token, polling="raf", timeout=max(1, int(
                                       (deadline - time.perf_counter()) * 1000)))
            return time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - the reload destroys the context: look again
            if "Timeout" in type(exc).__name__:
                break
    raise SystemExit(f"the page never showed {token!r}")


def p90(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True,
                    help="a bench/corpus.py corpus (mlcollage frozen, hugo laid out)")
    ap.add_argument("--edits", type=int, default=12, help="edits per tool (median of these)")
    ap.add_argument("--tools", nargs="*", default=["mlcollage", "hugo"],
                    choices=["mlcollage", "hugo"])
    ap.add_argument("--pause", type=float, default=1.0,
                    help="seconds between edits (the servers settle)")
    ap.add_argument("--python", default=str(REPO / ".venv/bin/python"))
    ap.add_argument("--src", type=Path, default=REPO,
                    help="the mlcollage source tree to serve with (another checkout: before/after)")
    a = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    corpus = a.corpus.resolve()
    manifest = json.loads((corpus / "corpus.json").read_text())
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    files = {t: corpus / t / manifest["edit_files"][t] for t in a.tools}
    originals = {t: p.read_text(encoding="utf-8") for t, p in files.items()}
    servers, pages, record = {}, {}, {"edits": [], "load": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for tool in a.tools:
                servers[tool], url = start(tool, corpus, a.python, results, a.src.resolve())
                pages[tool] = browser.new_page()
                pages[tool].add_init_script(PARSED)
                pages[tool].goto(url)
                time.sleep(1.0)  # the live-reload channel is open
            for i in range(a.edits):
                order = a.tools if i % 2 == 0 else a.tools[::-1]  # alternate who goes first
                for tool in order:
                    token = f"liveedit{i}x{tool}x{time.time_ns() % 10**9}"
                    text = originals[tool].rstrip("\n")
                    record["load"].append(os.getloadavg()[0])
                    wall0, t0 = time.time(), time.perf_counter()
                    files[tool].write_text(f"{text} Edited live ({token}).\n", encoding="utf-8")
                    t1 = shown(pages[tool], token)
                    # the reloaded document's start (epoch ms): before it, the tool's watcher,
                    # rebuild and push; after it, the browser's load of the page
                    try:
                        pages[tool].wait_for_function("() => window.__paintedAt", timeout=3000)
                    except Exception:  # noqa: BLE001 - no paint entry: reported as missing
                        pass
                    origin, parsed, painted = pages[tool].evaluate(
                        "[performance.timeOrigin, window.__parsedAt, window.__paintedAt || 0]")
                    ms = (parsed / 1000 - wall0) * 1000  # the new document parsed, with the edit
                    paint = (painted / 1000 - wall0) * 1000 if painted else float("nan")
                    before = (origin / 1000 - wall0) * 1000
                    seen = (t1 - t0) * 1000  # + Playwright's round trips to notice it
                    record["edits"].append({"tool": tool, "i": i, "ms": ms, "seen_ms": seen,
                                            "until_reload_ms": before, "paint_ms": paint})
                    print(f"{tool:9s} edit {i:2d}: {ms:7.1f} ms ({before:5.1f} until the page "
                          f"reloads; first paint {paint:5.1f}; {seen:5.1f} seen by the harness)",
                          flush=True)
                    time.sleep(a.pause)
            browser.close()
    finally:
        for tool, path in files.items():
            path.write_text(originals[tool], encoding="utf-8")
        for proc in servers.values():
            stop(proc)
    lines = [f"live preview, corpus {corpus} (N={manifest['n']}), {a.edits} edits per tool, "
             f"load average {min(record['load']):.2f}-{max(record['load']):.2f}",
             "| tool | median ms | p90 ms | min ms | max ms | median ms until the page reloads "
             "| first paint: median ms | p90 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for tool in a.tools:
        ms = [e["ms"] for e in record["edits"] if e["tool"] == tool]
        before = [e["until_reload_ms"] for e in record["edits"] if e["tool"] == tool]
        paint = [e["paint_ms"] for e in record["edits"] if e["tool"] == tool
                 and e["paint_ms"] == e["paint_ms"]] or [float("nan")]
        lines.append(f"| {tool} | {statistics.median(ms):.0f} | {p90(ms):.0f} | {min(ms):.0f} "
                     f"| {max(ms):.0f} | {statistics.median(before):.0f} "
                     f"| {statistics.median(paint):.0f} | {p90(paint):.0f} |")
    print("\n".join(lines))
    record["table"] = lines
    record["hugo"] = shutil.which("hugo") and subprocess.run(
        ["hugo", "version"], capture_output=True, text=True).stdout.strip()
    (results / f"live-{stamp}.json").write_text(json.dumps(record, indent=1))
    log = results / f"live-{stamp}.md"
    log.write_text("\n".join(lines) + "\n")
    print(f"results: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
