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
import os
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
EVENTS_PATH = "/__mlcollage/events"
RANK = {"modified": 0, "added": 1, "deleted": 2}
"""Several changes of one path between two rebuilds: the one that tells the most."""
KEEPALIVE_S = 15.0
"""A comment line on each open event stream this often: proxies keep it, and a closed tab is
noticed (its write fails) and its thread ends."""
# A module script is deferred: the page is parsed without waiting for its style sheets here.
LIVE_SCRIPT = """<script type="module">/* mlcollage serve: live reload (not in published builds) */
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
  function update(s) {  /* a new build, or a restarted server (whose count starts again) */
    var now = s.boot + ":" + s.version;
    if (seen !== null && now !== seen) { location.reload(); return; }
    seen = now; overlay(s.error);
  }
  function listen() {  /* pushed by the server when a rebuild is done */
    var events = new EventSource("/__mlcollage/events");
    events.onmessage = function (e) { update(JSON.parse(e.data)); };
    events.onerror = function () {  /* it reconnects by itself while the server is down, but */
      if (events.readyState === 2) { setTimeout(listen, 300); }  /* gives up on a bad answer */
    };
  }
  if (window.EventSource) { listen(); return; }
  function poll() {  /* no EventSource: ask every 400 ms */
    fetch("/__mlcollage/status", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(update).catch(function () {}).finally(function () { setTimeout(poll, 400); });
  }
  poll();
})();
</script>"""


@dataclasses.dataclass
class State:
    """What the status endpoint and the event streams report; `version` changes after every
    successful build. `changed` wakes every open event stream."""

    version: int = 0
    error: str = ""
    boot: str = dataclasses.field(default_factory=lambda: f"{os.getpid()}-{time.time_ns()}")
    """This server process: a tab that reconnects to a restarted server reloads."""
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    changed: threading.Condition = dataclasses.field(default_factory=threading.Condition)
    closed: bool = False

    def status(self) -> bytes:
        return json.dumps({"version": self.version, "error": self.error,
                           "boot": self.boot}).encode()

    def publish(self, version: int | None = None, error: str | None = None) -> None:
        """Set the status and push it to every open event stream."""
        with self.changed:
            if version is not None:
                self.version = version
            if error is not None:
                self.error = error
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()


class Handler(http.server.SimpleHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"  # keep-alive: a reload fetches the page and its assets on
    # the tab's open connections instead of a new one per file (every response has a length)
    disable_nagle_algorithm = True  # TCP_NODELAY: a response's headers and body are two
    # writes; with Nagle on, the body waits for the ACK of the headers, which the browser
    # delays (~40 ms per asset on a kept-alive connection)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0]
        if path == STATUS_PATH:
            body = self.state.status()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == EVENTS_PATH:
            self.events()
            return
        super().do_GET()

    def events(self) -> None:
        """A server-sent event stream: the status now, then after every rebuild, until the tab
        closes or the server stops (each open tab holds one thread)."""
        state = self.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.close_connection = True
        sent = None
        try:
            self.wfile.write(b"retry: 300\n\n")  # reconnect soon after a restart
            while True:
                with state.changed:
                    if state.closed:
                        return
                    if (state.version, state.error) == sent:
                        state.changed.wait(KEEPALIVE_S)
                    if state.closed:
                        return
                    now = (state.version, state.error)
                    body = state.status()
                if now == sent:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(b"data: " + body + b"\n\n")
                    sent = now
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the tab was closed

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: the terminal is for build messages


class Server:
    """The dev server: one build at a time, the latest edit wins. The build state (memos, the
    last build's page keys and files) stays in memory between rebuilds, and a rebuild looks
    only at the paths the watcher reported."""

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
        self.changes: dict[str, str] = {}
        """Paths the watcher reported that no rebuild has seen yet, each with what happened to
        it ('added', 'modified', 'deleted'; guarded by `changes_lock`)."""
        self.changes_lock = threading.Lock()
        self.build_state: Any = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def build(self) -> None:
        """Render at once (stale experiments shown as running), then run them and render again."""
        from mlcollage.model import BuildFailed, InputError
        from mlcollage.pipeline import build_site
        from mlcollage.quick import quick_rebuild
        from mlcollage.state import BuildState

        with self.state.lock:
            start = time.perf_counter()
            with self.changes_lock:
                changes, self.changes = self.changes, {}
            changed = frozenset(changes)
            try:
                if self.build_state is not None and quick_rebuild(
                        self.opts, self.build_state, changes, LIVE_SCRIPT):
                    self._done(start, "quick: ")  # a prose edit: its pages only
                    return
            except InputError as exc:
                self.build_state.changed = self.build_state.changed | changed  # the full
                self._fail(str(exc))  # rebuild, next time, reads these paths again
                return
            if self.build_state is None:
                self.build_state = BuildState.open(self.opts, {}, in_memory=True)
            elif self.build_state.changed is not None:  # a failed build's changes stay
                self.build_state.changed = self.build_state.changed | changed
            try:
                site = build_site(self.opts, extra_head=LIVE_SCRIPT, defer_runs=True,
                                  state=self.build_state)
                self._done(start)
                if self._stale(site):
                    build_site(self.opts, extra_head=LIVE_SCRIPT, state=self.build_state)
                    self._done(start)
            except InputError as exc:
                self._fail(str(exc))
            except BuildFailed as exc:
                self._fail(f"build failed: {exc}")
            except Exception as exc:  # noqa: BLE001 - a broken template must not stop the server
                self._fail(f"{type(exc).__name__}: {exc}")

    def _stale(self, site: Any) -> bool:
        from mlcollage.run.plan import plan
        from mlcollage.run.store import Store

        return any(not p.current for p in plan(site, Store(self.opts.figures), self.opts.mode))

    def _done(self, start: float, how: str = "") -> None:
        self.state.publish(version=self.state.version + 1, error="")  # push: the tabs reload
        print(f"mlcollage serve: {how}rebuilt in {time.perf_counter() - start:.3f} s",
              file=sys.stderr)

    def _fail(self, message: str) -> None:
        self.state.publish(error=message)
        print(message, file=sys.stderr)

    def watched(self) -> list[str]:
        """What a rebuild reads besides figures/: site_src/, the theme, the message catalogs."""
        paths = (self.opts.src, *self.opts.theme, self.opts.project / "i18n")
        return [str(p) for p in paths if p.exists()]

    def watch(self) -> None:
        from watchfiles import watch

        for changes in watch(
            *self.watched(), stop_event=self.stop, debounce=100, step=5, raise_interrupt=False
        ):
            with self.changes_lock:
                for change, path in changes:  # deleted wins over added over modified
                    kind = change.name
                    if RANK[kind] > RANK.get(self.changes.get(path, ""), -1):
                        self.changes[path] = kind
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
        from mlcollage.processes import stop_processes

        self.stop.set()
        self.state.close()  # the event streams end
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
