"""Engines run the build's jobs; one protocol, one scheduling loop, one registry.

An engine is anything with the `Engine` protocol: the local process pool (`local.py`), Dask
distributed (`dask.py`), submitit for Slurm or this machine (`submitit.py`). Every engine gets the
same `Job`s and gives back the same `JobResult`s (the task is `worker.execute(job)`), and the
parent stores them exactly as after a local run, so `figures/` is the same whichever ran them.
`run_jobs` is the one loop: it fills the engine's slots, passes progress on, enforces each job's
time limit (cancel), and turns a lost worker into a failed job.

A new engine is one module with a factory `make(ctx: EngineContext) -> Engine` and one line in
`ENGINES`; the CLI's help, the "install this extra" message and the README's table come from the
registry. Optional packages are imported only when an engine is made.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the registry is read by the CLI's help: it imports nothing else of mlcollage
    from mlcollage.model import Resources
    from mlcollage.run.worker import Job, JobResult

Progress = Callable[["Job", int, int], None]
Done = Callable[["JobResult"], None]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class EngineError(Exception):
    """The engine could not be started (cannot connect, no Slurm): the build fails."""


class Engine(Protocol):
    """What `run_jobs` needs of an engine. Handles are the engine's own objects."""

    slots: int
    """Jobs at once; 0 = no limit (a cluster that queues)."""
    queues: bool
    """Waiting to start is normal (Slurm): the time limit counts from the start only."""
    ships: bool
    """Jobs run in another working directory or machine: scripts are sent as absolute paths."""

    def submit(self, job: Job) -> Any:
        """Start (or enqueue) ``job``; return a handle."""

    def wait(self, timeout: float) -> None:
        """Block until something may have happened, at most ``timeout`` seconds."""

    def progress(self) -> list[tuple[str, int, int]]:
        """(job label, done, total) reported since the last call."""

    def started(self, handle: Any) -> bool:
        """The job is running (its time limit counts from now)."""

    def done(self, handle: Any) -> bool:
        """The job finished, failed, or its worker was lost."""

    def result(self, handle: Any, job: Job) -> JobResult:
        """The job's result once `done` (a failed `JobResult` when its worker was lost)."""

    def cancel(self, handle: Any) -> str:
        """Stop the job; say how ("the worker was killed")."""

    def limit(self, job: Job) -> float:
        """Seconds the job may run."""

    def exclusive(self, job: Job) -> bool:
        """The job must run alone among exclusive jobs (CUDA on one machine)."""

    def close(self) -> None:
        """Release everything; cancel what an interrupted build left running."""


@dataclass(frozen=True)
class EngineContext:
    """What an engine is made from."""

    n_jobs: int
    """`--jobs`: processes at once where the engine decides (local pool, submitit-local)."""
    project: Path
    resources: dict[str, Resources] = field(default_factory=dict)
    """Cluster resources per paper slug (front matter over site.yaml)."""
    cuda: bool = False
    """This machine has CUDA."""
    address: str | None = None
    """`dask://HOST:PORT`'s HOST:PORT."""
    log_dir: Path | None = None
    """Where the local engine keeps each run's full output (`.mlcollage/logs/`)."""


@dataclass(frozen=True)
class EngineSpec:
    """A registry line: how to make an engine, and what it needs."""

    module: str
    """Module with `make(ctx) -> Engine`, imported only when the engine is used."""
    summary: str
    """One line for the CLI's help and the README's table."""
    extra: str = ""
    """The pip extra that installs what it needs (`pip install 'mlcollage[EXTRA]'`)."""
    requires: str = ""
    """The module that extra provides (found without importing it)."""
    command: str = ""
    """A program that must be on PATH (Slurm's sbatch)."""
    address: str = ""
    """A pattern of `--executor` values that also select this engine (`dask://HOST:PORT`)."""
    address_summary: str = ""
    """What `NAME://HOST:PORT` runs on."""


ENGINES: dict[str, EngineSpec] = {
    "local": EngineSpec(
        "mlcollage.run.engines.local", "the process pool on this machine (`-j N` processes)"
    ),
    "dask": EngineSpec(
        "mlcollage.run.engines.dask",
        "a Dask `LocalCluster` on this machine: `-j N` worker processes, 1 thread each",
        extra="dask",
        requires="distributed",
        address=r"^dask://(?:[\w.\-]+|\[[0-9a-fA-F:]+\]):\d+$",
        address_summary="an existing Dask cluster (its scheduler address)",
    ),
    "slurm": EngineSpec(
        "mlcollage.run.engines.submitit",
        "one Slurm job per run through submitit (run the build on a login node)",
        extra="slurm",
        requires="submitit",
        command="sbatch",
    ),
    "submitit-local": EngineSpec(
        "mlcollage.run.engines.submitit",
        "submitit's local executor: the Slurm path on one machine, `-j N` at a time",
        extra="slurm",
        requires="submitit",
    ),
}
"""`--executor` name -> engine. Add a line (and a module) to add an engine."""


def engine_names() -> str:
    """'local, dask, dask://HOST:PORT, slurm or submitit-local' (for help and errors)."""
    names = []
    for name, spec in ENGINES.items():
        names.append(name)
        if spec.address:
            names.append(f"{name}://HOST:PORT")
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def engine_table() -> str:
    """The README's table of engines, made from the registry."""
    rows = ["| `--executor` | where the experiments run | install |", "|---|---|---|"]
    for name, spec in ENGINES.items():
        install = f"`pip install 'mlcollage[{spec.extra}]'`" if spec.extra else "–"
        default = " (default)" if name == "local" else ""
        rows.append(f"| `{name}`{default} | {spec.summary} | {install} |")
        if spec.address:
            rows.append(f"| `{name}://HOST:PORT` | {spec.address_summary} | {install} |")
    return "\n".join(rows)


def resolve(executor: str) -> tuple[str, str | None] | None:
    """(engine name, address) for a valid `--executor` value, else None."""
    if executor in ENGINES:
        return executor, None
    for name, spec in ENGINES.items():
        if spec.address and re.match(spec.address, executor):
            return name, executor.split("://", 1)[1]
    return None


def missing_extra_message(name: str) -> str:
    extra = ENGINES[name].extra
    return f"--executor {name} needs the '{extra}' extra: pip install 'mlcollage[{extra}]'"


def executor_problem(executor: str) -> str | None:
    """Why `--executor` cannot be used here (checked before anything runs), or None.

    Cheap: finds the optional package without importing it (`--help` never gets here).
    """
    found = resolve(executor)
    if found is None:
        return f"error: --executor must be {engine_names()}; got {executor!r}"
    spec = ENGINES[found[0]]
    if spec.requires:
        try:
            present = importlib.util.find_spec(spec.requires) is not None
        except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
            present = False
        if not present:
            return missing_extra_message(found[0])
    if spec.command and shutil.which(spec.command) is None:
        return (
            f"--executor {found[0]} needs {spec.command} on PATH; run the build where it is "
            "(a login node)"
        )
    return None


def make_engine(executor: str, ctx: EngineContext) -> Engine:
    found = resolve(executor)
    if found is None:
        raise EngineError(f"--executor must be {engine_names()}; got {executor!r}")
    name, address = found
    module = importlib.import_module(ENGINES[name].module)
    return module.make(dataclasses.replace(ctx, address=address), name)


def run_jobs(
    executor: str,
    jobs: Sequence[Job],
    ctx: EngineContext,
    on_progress: Progress | None = None,
    on_done: Done | None = None,
) -> list[JobResult]:
    """Run ``jobs`` on the engine ``executor`` names; results in the order they finished."""
    for var in THREAD_VARS:  # one BLAS/OpenMP thread per worker (inherited by its processes)
        os.environ.setdefault(var, "1")
    engine = make_engine(executor, ctx)
    try:
        return schedule(engine, jobs, on_progress, on_done)
    finally:
        engine.close()


def schedule(
    engine: Engine,
    jobs: Sequence[Job],
    on_progress: Progress | None = None,
    on_done: Done | None = None,
) -> list[JobResult]:
    """The one scheduling loop: at most ``engine.slots`` jobs at a time (0: all at once).

    A job's time limit counts from when the engine reports it started; past it the job is
    cancelled and fails "timed out after N s". A job that has not started within its limit fails
    too, unless ``engine.queues`` (Slurm: waiting in the queue is normal). Exclusive jobs (CUDA
    on one machine) run one at a time.
    """
    from mlcollage.run.worker import JobResult

    pending = list(jobs)
    running: dict[str, list[Any]] = {}  # label -> [job, handle, clock start, started]
    results: list[JobResult] = []

    def finish(label: str, result: JobResult) -> None:
        del running[label]
        results.append(result)
        if on_done:
            on_done(result)

    while pending or running:
        _fill(engine, pending, running)
        engine.wait(0.1)
        for label, done, total in engine.progress():
            if label in running and on_progress:
                on_progress(running[label][0], done, total)
        now = time.monotonic()
        for label, entry in list(running.items()):
            job, handle, start, started = entry
            if not started and engine.started(handle):
                start, started = now, True
                entry[2:] = [start, started]
            limit = engine.limit(job)
            if engine.done(handle):
                finish(label, engine.result(handle, job))
            elif now - start > limit and (started or not engine.queues):
                how = engine.cancel(handle)
                error = (
                    f"timed out after {limit:g} s ({how})"
                    if started
                    else f"did not start within {limit:g} s, no free worker ({how})"
                )
                finish(label, JobResult(job, False, error=error, wall_s=limit if started else 0.0))
    return results


def _fill(engine: Engine, pending: list[Job], running: dict) -> None:
    busy = any(engine.exclusive(entry[0]) for entry in running.values())
    while pending and (engine.slots <= 0 or len(running) < engine.slots):
        idx = next((i for i, j in enumerate(pending) if not (busy and engine.exclusive(j))), None)
        if idx is None:
            return
        job = pending.pop(idx)
        busy = busy or engine.exclusive(job)
        shipped = dataclasses.replace(job, script=job.script.resolve()) if engine.ships else job
        running[job.label] = [job, engine.submit(shipped), time.monotonic(), False]
