"""`mlcollage serve`: build into a temporary folder, serve it, rebuild on change, reload browsers.

A prose or template edit re-renders at once; an edit to an experiment first re-renders with that
paper shown as running, re-runs it in the background, and renders again. A broken edit keeps the
server alive: the error goes to the terminal and to an overlay in the browser. The live-reload
script exists only in serve mode; the published build never contains it.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from mlcollage.commands import no_site
from mlcollage.options import EXIT_INPUT, EXIT_OK, Options, ServeArgs

STATUS_PATH = "/__mlcollage/status"
LIVE_SCRIPT = """<script>/* mlcollage serve: live reload (not in published builds) */
(function () {
  var seen = null, box = null;
  function overlay(text) {
    if (!text) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("pre");
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:50vh;" +
        "overflow:auto;z-index:99999;background:#3b0d0c;color:#ffd7d5;padding:1rem;" +
        "border-radius:8px;" +
        "font:13px/1.45 monospace;white-space:pre-wrap;box-shadow:0 4px 24px rgba(0,0,0,.4)";
      document.body.appendChild(box);
    }
    box.textContent = "mlcollage: the last edit did not build\\n\\n" + text;
  }
  function poll() {
    fetch("/__mlcollage/status", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen !== null && s.version !== seen) { location.reload(); return; }
        seen = s.version; overlay(s.error);
      }).catch(function () {}).finally(function () { setTimeout(poll, 400); });
  }
  poll();
})();
</script>"""


@dataclasses.dataclass
class State:
    """What the status endpoint reports; `version` changes after every successful build."""

    version: int = 0
    error: str = ""
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


class Handler(http.server.SimpleHTTPRequestHandler):
    state: State

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] == STATUS_PATH:
            body = json.dumps({"version": self.state.version, "error": self.state.error}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: the terminal is for build messages


class Server:
    """The dev server: one build at a time, the latest edit wins."""

    def __init__(self, opts: Options, host: str, port: int, open_browser: bool = False):
        self.open_browser = open_browser
        self.tmp = Path(tempfile.mkdtemp(prefix="mlcollage-serve-"))
        self.opts = dataclasses.replace(opts, out=self.tmp / "site", drafts=True, keep_going=True)
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        factory = functools.partial(handler, directory=str(self.opts.out_dir))
        self.httpd = http.server.ThreadingHTTPServer((host, port), factory)
        self.httpd.daemon_threads = True
        self.stop = threading.Event()
        self.pending = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def build(self) -> None:
        """Render at once (stale experiments shown as running), then run them and render again."""
        from mlcollage.model import BuildFailed, InputError
        from mlcollage.pipeline import build_site

        with self.state.lock:
            start = time.perf_counter()
            try:
                build_site(self.opts, extra_head=LIVE_SCRIPT, defer_runs=True)
                self._done(start)
                if self._stale():
                    build_site(self.opts, extra_head=LIVE_SCRIPT)
                    self._done(start)
            except InputError as exc:
                self._fail(str(exc))
            except BuildFailed as exc:
                self._fail(f"build failed: {exc}")
            except Exception as exc:  # noqa: BLE001 - a broken template must not stop the server
                self._fail(f"{type(exc).__name__}: {exc}")

    def _stale(self) -> bool:
        from mlcollage.content.load import load
        from mlcollage.run.plan import plan
        from mlcollage.run.store import Store

        site = load(self.opts)
        return any(not p.current for p in plan(site, Store(self.opts.figures), self.opts.mode))

    def _done(self, start: float) -> None:
        self.state.error = ""
        self.state.version += 1
        print(f"mlcollage serve: rebuilt in {time.perf_counter() - start:.2f} s", file=sys.stderr)

    def _fail(self, message: str) -> None:
        self.state.error = message
        print(message, file=sys.stderr)

    def watch(self) -> None:
        from watchfiles import watch

        paths = [str(p) for p in (self.opts.src, *self.opts.theme) if p.exists()]
        for _changes in watch(
            *paths, stop_event=self.stop, debounce=150, step=50, raise_interrupt=False
        ):
            self.pending.set()

    def rebuild_loop(self) -> None:
        while not self.stop.is_set():
            if self.pending.wait(timeout=0.2):
                self.pending.clear()
                self.build()

    def run(self) -> None:
        self.build()
        threads = [threading.Thread(target=f, daemon=True) for f in (self.watch, self.rebuild_loop)]
        for t in threads:
            t.start()
        print(f"mlcollage serve: {self.url} (Ctrl-C to stop)", file=sys.stderr)
        if self.open_browser:
            import webbrowser

            webbrowser.open(self.url)
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def close(self) -> None:
        from mlcollage.pipeline import stop_processes

        self.stop.set()
        self.httpd.server_close()
        with self.state.lock:  # a rebuild in flight finishes first
            stop_processes()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(opts: Options, args: ServeArgs = ServeArgs()) -> int:  # noqa: B008 - frozen
    if (missing := no_site(opts)) is not None:
        return missing
    host, port = args.host, args.port  # port 0 is a real choice: any free port
    try:
        server = Server(opts, host, port, args.open)
    except OSError as exc:
        print(
            f"mlcollage: cannot listen on {host}:{port}: {exc.strerror}; try --port",
            file=sys.stderr,
        )
        return EXIT_INPUT
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C
    try:
        server.run()
    except KeyboardInterrupt:
        print("\nmlcollage serve: stopped", file=sys.stderr)
    return EXIT_OK
