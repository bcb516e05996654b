"""Tasks spread over forked worker processes, their results back in task order (the render step).

A cold build converts every Markdown text and renders every page; the tasks are independent,
so `run_tasks` shares them out over `workers` processes: this one and `workers - 1` children
forked from it. Fork, not the fork server the draw step uses: a child starts with everything
this process holds (the loaded site, the compiled templates, the Markdown converter, Pygments'
lexers), so nothing is pickled to it and nothing is imported or compiled again; only results
travel back, through a pipe. A child writes nothing but into a folder of its caller's that is
not live yet (the page workers: the new site's folder), so a child killed at any moment loses
nothing; each one dies with this process (`PR_SET_PDEATHSIG`), ignores
Ctrl-C (this process handles it, kills and reaps them), and is reaped before `run_tasks`
returns or raises: no process outlives it.

An error is reported as the serial loop would report it: the failing task with the lowest
index wins, whatever worker ran it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from mlcollage.model import InputError

MIN_WORK = float(os.environ.get("MLCOLLAGE_POOL_MIN_WORK", "0.2"))
"""Estimated seconds of work below which the tasks run here, serially. Measured (bench/README.md,
"Cold build on both cores"): forking the loaded N=1000 process and bringing results back costs
12-20 ms, and a second process spends ~10 % more CPU on the same work; two processes first
beat one on wall clock at ~0.2 s of Markdown (200 summaries). `MLCOLLAGE_POOL_MIN_WORK=0`
forces the pool on (the tests' byte comparison), `inf` keeps it off (bench: mlcollage-serial)."""


def workers(jobs: int, work: float) -> int:
    """How many processes to use for ``work`` estimated seconds: 1 (serial) when there is too
    little, when this platform cannot fork, or when this process runs threads (`serve`: a
    fork copies one thread and whatever locks the others held)."""
    if jobs <= 1 or work < MIN_WORK or not hasattr(os, "fork"):
        return 1
    if threading.active_count() > 1:
        return 1
    return jobs if MIN_WORK <= 0 else min(jobs, int(work / MIN_WORK) + 1)


CHUNKS_PER_WORKER = 40
"""How finely the tasks are cut for hand-out: the last chunk is what one worker may run after
the others stopped. Measured at N=1000 (bench/README.md): fixed shares by estimated cost
left one process 0.2-0.35 s behind the other in each of the two pooled phases."""


def chunks(weights: Sequence[float], n: int) -> list[list[int]]:
    """The task indices cut into runs of consecutive tasks of about equal estimated cost,
    ~`CHUNKS_PER_WORKER` per worker, in task order (deterministic)."""
    size = sum(weights) / (n * CHUNKS_PER_WORKER)
    out: list[list[int]] = [[]]
    load = 0.0
    for i, w in enumerate(weights):
        if out[-1] and load + w > size:
            out.append([])
            load = 0.0
        out[-1].append(i)
        load += w
    return out


def run_tasks(tasks: Sequence[Callable[[], Any]], weights: Sequence[float], n: int) -> list[Any]:
    """Run every task; return their results in task order. ``n`` processes (1: serially, here).

    The tasks are handed out in chunks (`chunks`), in order, to whichever process is free: a
    pipe holds every chunk's number, and each process (this one too) reads the next one until
    the pipe is empty; which process ran a task changes nothing in its result. A task's result
    must pickle (it comes back from a child). The first failing task's exception (by index) is
    raised after every worker stopped: a worker stops at its first failure, and every chunk
    before the one that failed was handed out, so none of their tasks was skipped.
    """
    if n <= 1 or len(tasks) < 2:
        return [task() for task in tasks]
    n = min(n, len(tasks))
    parts = chunks(weights, n)
    queue_read, queue_write = os.pipe()
    os.write(queue_write, b"".join(k.to_bytes(4, "little") for k in range(len(parts))))
    os.close(queue_write)  # reads after the last chunk: end of file
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # else the children print this process's buffered output again
    children: list[tuple[int, int]] = []  # (pid, read end)
    gc.freeze()  # the children then do not write every object's GC header (copy on write)
    try:
        for _ in range(n - 1):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns into the caller's code
                os.close(read)
                _child(tasks, parts, queue_read, write)
            os.close(write)
            children.append((pid, read))
        results: dict[int, Any] = {}
        failures: list[tuple[int, BaseException]] = []
        collecting = gc.isenabled()
        gc.disable()  # as in the children: the phase's garbage is collected once, after it
        try:
            _run_queue(tasks, parts, queue_read, results, failures)
        finally:
            if collecting:
                gc.enable()
        for pid, read in children:
            data = _read_all(read)
            os.close(read)
            _, status = os.waitpid(pid, 0)
            if not data:
                raise RuntimeError(f"a render worker died (exit status {status}) "
                                   "before returning its pages")
            done, failed = pickle.loads(data)
            results.update(done)
            failures += [(i, _unwrap(exc)) for i, exc in failed]
        children.clear()
    finally:
        os.close(queue_read)
        gc.unfreeze()
        for pid, read in children:  # an error or Ctrl-C here: stop and reap every child
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.close(read)
            os.waitpid(pid, 0)
    if failures:
        raise min(failures, key=lambda f: f[0])[1]
    return [results[i] for i in range(len(tasks))]


def _run_queue(tasks: Sequence[Callable[[], Any]], parts: list[list[int]], queue: int,
               results: dict[int, Any], failures: list[tuple[int, BaseException]]) -> None:
    """Run chunk after chunk from the queue pipe (4 bytes each: one read takes one whole
    number, as every number was written before the first read) until it is empty."""
    while len(number := os.read(queue, 4)) == 4:
        for i in parts[int.from_bytes(number, "little")]:
            try:
                results[i] = tasks[i]()
            except Exception as exc:  # noqa: BLE001 - reported as the serial loop would
                failures.append((i, exc))
                return  # the serial loop would have stopped here: later tasks cannot matter


def _child(tasks: Sequence[Callable[[], Any]], parts: list[list[int]], queue: int,
           write: int) -> None:
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        _die_with_parent()
        gc.disable()  # a short life: collecting would only copy pages
        results: dict[int, Any] = {}
        failures: list[tuple[int, BaseException]] = []
        _run_queue(tasks, parts, queue, results, failures)
        data = pickle.dumps((results, [(i, _wrap(exc)) for i, exc in failures]),
                            protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as fh:
            fh.write(data)
        code = 0
    except BaseException:  # noqa: BLE001 - nothing may unwind into the parent's code
        traceback.print_exc()
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: the kernel kills this child when the parent dies (a killed build leaves none)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the prctl
        os._exit(1)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _wrap(exc: BaseException) -> tuple[str, Any]:
    """An exception in a form that survives pickling with its message (InputError's does not:
    its constructor takes the problems, its args hold the joined text)."""
    if isinstance(exc, InputError):
        return "input", exc.problems
    try:
        back = pickle.loads(pickle.dumps(exc))
        if type(back) is type(exc) and str(back) == str(exc):
            return "exc", exc
    except Exception:  # noqa: BLE001, S110 - falls through to the text
        pass
    return "text", f"{type(exc).__name__}: {exc}\n{''.join(traceback.format_exception(exc))}"


def _unwrap(wrapped: tuple[str, Any]) -> BaseException:
    kind, value = wrapped
    if kind == "input":
        return InputError(value)
    if kind == "exc":
        return value
    return RuntimeError(value)
