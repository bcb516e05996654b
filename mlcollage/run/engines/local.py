"""The default engine: one process per job on this machine, progress and results over a pipe."""

from __future__ import annotations

import dataclasses
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcollage.run.engines import EngineContext
from mlcollage.run.worker import Job, JobResult, child_main

PRELOAD = ["torch", "torch._dynamo", "mlcollage.worker", "mlcollage.experiment"]
"""Imported once in the fork server: every worker forks from it with torch loaded. torch._dynamo
is imported by a torch.optim optimizer's constructor (1.4-2.1 s CPU here, torch 2.13): preloaded,
a run that trains with Adam does not pay it again."""


def _context() -> Any:
    import multiprocessing as mp  # here, not at the top: a rebuild that runs nothing needs none

    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


@dataclass
class _Worker:
    job: Job
    proc: Any
    conn: Any
    result: JobResult | None = None
    lost: bool = False


class LocalEngine:
    """Up to ``n_jobs`` worker processes; a job past its limit is killed with its process."""

    queues = False
    ships = False

    def __init__(self, n_jobs: int, cuda: bool, log_dir: Path | None = None) -> None:
        self.slots = max(1, n_jobs)
        self.cuda = cuda
        self.log_dir = log_dir
        self.mp = _context()
        self.workers: list[_Worker] = []
        self._progress: list[tuple[str, int, int]] = []

    def submit(self, job: Job) -> _Worker:
        if self.log_dir is not None:
            job = dataclasses.replace(job, log=str(self.log_dir / log_name(job)))
        parent, child = self.mp.Pipe(duplex=False)
        proc = self.mp.Process(target=child_main, args=(job, child), daemon=True)
        proc.start()
        child.close()
        worker = _Worker(job, proc, parent)
        self.workers.append(worker)
        return worker

    def wait(self, timeout: float) -> None:
        from multiprocessing.connection import wait

        live = [w for w in self.workers if w.result is None and not w.lost]
        if live:
            wait([w.conn for w in live] + [w.proc.sentinel for w in live], timeout=timeout)
        self._drain(live)

    def _drain(self, workers: list[_Worker]) -> None:
        for w in workers:
            try:
                while w.result is None and w.conn.poll():
                    msg = w.conn.recv()
                    if msg[0] == "progress":
                        self._progress.append((w.job.label, msg[1], msg[2]))
                    elif msg[0] == "done":
                        w.result = msg[1]
            except (EOFError, OSError):
                w.lost = True

    def progress(self) -> list[tuple[str, int, int]]:
        out, self._progress = self._progress, []
        return out

    def started(self, handle: _Worker) -> bool:
        return True

    def done(self, handle: _Worker) -> bool:
        if handle.result is None and not handle.lost and not handle.proc.is_alive():
            self._drain([handle])  # it may have sent its result just before exiting
            handle.lost = handle.result is None
        return handle.result is not None or handle.lost

    def result(self, handle: _Worker, job: Job) -> JobResult:
        self._reap(handle)
        result = handle.result
        if result is None:
            result = JobResult(job, False, error=ended(handle.proc.exitcode))
        if not result.ok and handle.job.log:
            result = dataclasses.replace(result, error=result.error + log_tail(handle.job.log))
        return result

    def cancel(self, handle: _Worker) -> str:
        handle.proc.kill()
        self._reap(handle)
        return "the worker was killed"

    def limit(self, job: Job) -> float:
        return job.timeout

    def exclusive(self, job: Job) -> bool:
        """CUDA jobs take turns on this machine's GPU."""
        return self.cuda or job.device == "cuda"

    def _reap(self, w: _Worker) -> None:
        w.conn.close()
        w.proc.join(timeout=5)
        if w.proc.is_alive():
            w.proc.kill()
            w.proc.join()
        if w in self.workers:
            self.workers.remove(w)

    def close(self) -> None:
        for w in list(self.workers):
            w.proc.kill()
            self._reap(w)


def log_name(job: Job) -> str:
    what = f"control-{job.control}" if job.control else f"seed-{job.seed}"
    return f"{job.slug}-{what}{'-quick' if job.mode == 'quick' else ''}.log"


TAIL_LINES = 20
TAIL_BYTES = 2000


def log_tail(log: str) -> str:
    """The last lines of a failed run's output (at most ~2 KB), and where the rest is."""
    try:
        with open(log, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read()
    except OSError:
        return ""
    if not data.strip():
        return ""
    lines = data.decode("utf-8", "replace").splitlines()[-TAIL_LINES:]
    cut = " (last lines)" if size > len(data) or len(lines) == TAIL_LINES else ""
    body = "\n".join("    | " + line[:200] for line in lines)
    return f"\n  output{cut}, {size} bytes in all, in {log}:\n{body}"


def ended(code: int | None) -> str:
    """Why a worker that sent no result is gone."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (the out-of-memory killer sends SIGKILL)" if name == "SIGKILL" else ""
        return f"worker process died: killed by {name}{hint}"
    return (f"worker process died: the experiment ended its own process (exit code {code}) "
            "before returning a result; expected run() to return")


def make(ctx: EngineContext, name: str = "local") -> LocalEngine:
    return LocalEngine(ctx.n_jobs, ctx.cuda, ctx.log_dir)
