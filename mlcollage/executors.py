"""Running the experiments on another engine: Dask distributed, or submitit (Slurm, or local).

The local process pool stays in `runner.py`. Every engine here gets the same `Job`s and gives
back the same `JobResult`s: the task is `worker.execute(job)`, shipped as data and run on the
worker; the parent stores the results exactly as after a local run, so `figures/` is the same.
The parent enforces each job's time limit (cancel; for Dask also restart the hung worker), turns
a lost worker into a failed job, and passes progress on to the terminal.

`distributed` and `submitit` are optional extras, imported only when an engine is created.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
import queue
import re
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .model import Resources
from .resources import slurm_parameters
from .worker import Job, JobResult, execute

ENGINES = "local, dask, dask://HOST:PORT, slurm or submitit-local"
_EXTRAS = {"dask": ("distributed", "dask"), "slurm": ("submitit", "slurm")}
_EXTRAS["submitit-local"] = _EXTRAS["slurm"]
_ADDRESS_RE = re.compile(r"^dask://[\w.\-]+:\d+$|^dask://\[[0-9a-fA-F:]+\]:\d+$")

Progress = Callable[[Job, int, int], None]
Done = Callable[[JobResult], None]


class EngineError(Exception):
    """The engine could not be started (cannot connect, no Slurm): the build fails."""


def engine_kind(executor: str) -> str | None:
    """'local', 'dask', 'slurm' or 'submitit-local' for a valid `--executor`, else None."""
    if executor in ("local", "dask", "slurm", "submitit-local"):
        return executor
    return "dask" if _ADDRESS_RE.match(executor) else None


def missing_extra_message(executor: str) -> str:
    kind = engine_kind(executor) or executor
    extra = _EXTRAS[kind][1]
    return f"--executor {kind} needs the '{extra}' extra: pip install 'mlcollage[{extra}]'"


def executor_problem(executor: str) -> str | None:
    """Why `--executor` cannot be used here (checked before anything runs), or None.

    Cheap: finds the optional package without importing it (`--help` never gets here).
    """
    kind = engine_kind(executor)
    if kind is None:
        return f"error: --executor must be {ENGINES}; got {executor!r}"
    if kind == "local":
        return None
    try:
        found = importlib.util.find_spec(_EXTRAS[kind][0]) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        found = False
    if not found:
        return missing_extra_message(executor)
    if kind == "slurm" and shutil.which("sbatch") is None:
        return "--executor slurm needs Slurm's sbatch on PATH; run the build on a login node"
    return None


# ---------------------------------------------------------------------------------------------
# the generic loop: any engine with submit/started/done/result/cancel


def run_engine(
    engine: Any,
    jobs: Sequence[Job],
    on_progress: Progress | None = None,
    on_done: Done | None = None,
    exclusive: Callable[[Job], bool] = lambda job: False,
) -> list[JobResult]:
    """Run ``jobs`` on ``engine``, at most ``engine.slots`` at a time (0: all at once).

    A job's time limit counts from when the engine reports it started; past it the job is
    cancelled and fails "timed out after N s". A job that has not started within its limit fails
    too, unless ``engine.queues`` (Slurm: waiting in the queue is normal). Jobs for which
    ``exclusive(job)`` is true (CUDA on this machine) run one at a time.
    """
    pending = list(jobs)
    running: dict[str, list[Any]] = {}  # label -> [job, handle, clock start, started]
    results: list[JobResult] = []

    def finish(label: str, result: JobResult) -> None:
        del running[label]
        results.append(result)
        if on_done:
            on_done(result)

    while pending or running:
        _fill(engine, pending, running, exclusive)
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
        time.sleep(0.1)
    return results


def _fill(engine: Any, pending: list[Job], running: dict, exclusive: Callable) -> None:
    busy = any(exclusive(entry[0]) for entry in running.values())
    while pending and (engine.slots <= 0 or len(running) < engine.slots):
        idx = next((i for i, j in enumerate(pending) if not (busy and exclusive(j))), None)
        if idx is None:
            return
        job = pending.pop(idx)
        busy = busy or exclusive(job)
        shipped = dataclasses.replace(job, script=job.script.resolve())  # cwd may differ there
        running[job.label] = [job, engine.submit(shipped), time.monotonic(), False]


def run_elsewhere(
    executor: str,
    jobs: Sequence[Job],
    *,
    n_jobs: int,
    project: Path,
    resources: dict[str, Resources],
    cuda: bool,
    on_progress: Progress | None = None,
    on_done: Done | None = None,
) -> list[JobResult]:
    """Run ``jobs`` on the engine named by ``executor`` (anything but 'local')."""
    kind = engine_kind(executor)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # as in the local pool; inherited by submitit jobs
    if kind == "dask":
        address = executor.removeprefix("dask://") if executor != "dask" else None
        engine: Any = DaskEngine(address, n_jobs)
    else:
        folder = project.resolve() / ".mlcollage" / f"{kind}-logs"
        engine = SubmititEngine(kind == "slurm", folder, n_jobs, resources, cuda)

    def exclusive(job: Job) -> bool:
        """On this machine (submitit-local) CUDA jobs take turns; clusters place GPU work."""
        return kind == "submitit-local" and (cuda or job.device == "cuda")

    try:
        return run_engine(engine, jobs, on_progress, on_done, exclusive)
    finally:
        engine.close()


# ---------------------------------------------------------------------------------------------
# Dask distributed


def _dask_task(job: Job, topic: str) -> JobResult:
    """What a Dask worker runs: `execute`, with its start and progress sent as worker events."""
    from distributed import get_worker

    worker = get_worker()
    worker.log_event(topic, (job.label, -1, 0))
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25 or done >= total:
            last[0] = now
            worker.log_event(topic, (job.label, done, total))

    return execute(job, progress)


class DaskEngine:
    """A `distributed.Client`: to a `LocalCluster` sized to the machine, or to HOST:PORT."""

    def __init__(self, address: str | None, n_workers: int):
        try:
            import dask
            import distributed
        except ImportError as exc:
            raise EngineError(missing_extra_message("dask") + f" ({exc})") from exc
        self.cluster = None
        if address is None:
            # as with the local pool, a worker that dies fails its job (no silent retries)
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self.cluster = distributed.LocalCluster(
                    n_workers=max(1, n_workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: the scheduler always serves HTTP
                    silence_logs=logging.ERROR,  # restarts are reported as the job's error
                )
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout=20)
            except OSError as exc:
                message = f"cannot connect to the Dask scheduler at {address}: {exc}"
                raise EngineError(message) from exc
        self.topic = f"mlcollage-{uuid.uuid4().hex[:12]}"
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.client.subscribe_topic(self.topic, lambda event: self.events.put(event[1]))
        self.started_labels: set[str] = set()
        self.labels: dict[str, str] = {}  # task key -> job label
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.queues = False  # slots match the workers' threads: a task starts when submitted
        gpu_workers = [
            w for w in self.client.scheduler_info()["workers"].values() if w.get("resources")
        ]
        self.gpu_resource = any("GPU" in w["resources"] for w in gpu_workers)

    def submit(self, job: Job) -> Any:
        wants_gpu = self.gpu_resource and (job.device or "").startswith("cuda")
        future = self.client.submit(
            _dask_task,
            job,
            self.topic,
            key=f"mlcollage-{job.slug}-{job.seed}-{uuid.uuid4().hex[:8]}",
            pure=False,
            resources={"GPU": 1} if wants_gpu else None,
        )
        self.labels[future.key] = job.label
        return future

    def progress(self) -> list[tuple[str, int, int]]:
        out = []
        while True:
            try:
                label, done, total = self.events.get_nowait()
            except queue.Empty:
                return out
            self.started_labels.add(label)
            if done >= 0:
                out.append((label, done, total))

    def started(self, future: Any) -> bool:
        return self.labels[future.key] in self.started_labels

    def done(self, future: Any) -> bool:
        return future.done()

    def limit(self, job: Job) -> float:
        return job.timeout

    def result(self, future: Any, job: Job) -> JobResult:
        from distributed import KilledWorker

        if future.status == "finished":
            try:
                return future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. the result did not deserialize
                return JobResult(job, False, error=f"{type(exc).__name__}: {exc}")
        if future.status == "cancelled":
            return JobResult(job, False, error="the Dask task was cancelled (scheduler lost?)")
        try:
            exc = future.exception(timeout=10)
        except Exception as lost:  # noqa: BLE001 - e.g. the scheduler went away
            exc = lost
        if isinstance(exc, KilledWorker):
            error = "worker process died (Dask lost the worker running it: KilledWorker)"
        else:
            error = f"{type(exc).__name__}: {exc}"
        return JobResult(job, False, error=error)

    def cancel(self, future: Any) -> str:
        """Cancel a hung task and restart its worker (a running Python thread cannot be stopped)."""
        try:
            workers = [w for w, keys in self.client.processing().items() if future.key in keys]
            future.cancel()
            if not workers:
                return "the task was cancelled"
            self.client.restart_workers(workers, timeout=60)
        except Exception as exc:  # noqa: BLE001 - e.g. a worker without a nanny
            return f"the task was cancelled; its worker could not be restarted: {exc}"
        return "the task was cancelled and its worker restarted"

    def close(self) -> None:
        """Leave the cluster as found: tasks of an interrupted build are released with the
        client; a cluster of our own is shut down."""
        try:
            self.client.unsubscribe_topic(self.topic)
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


# ---------------------------------------------------------------------------------------------
# submitit: Slurm, or its local executor (the same path, for tests and single machines)


_NOT_STARTED = {"PENDING", "UNKNOWN", "REQUEUED", "CONFIGURING", "SUSPENDED"}


class SubmititEngine:
    """One submitit job per experiment run; its logs in ``<logs>/<slug>/``."""

    def __init__(
        self, slurm: bool, logs: Path, n_jobs: int, resources: dict[str, Resources], cuda: bool
    ):
        try:
            import submitit
        except ImportError as exc:
            kind = "slurm" if slurm else "submitit-local"
            raise EngineError(missing_extra_message(kind) + f" ({exc})") from exc
        self.submitit = submitit
        self.slurm, self.logs, self.resources, self.cuda = slurm, logs, resources, cuda
        self.slots = 0 if slurm else max(1, n_jobs)  # Slurm queues; locally, -j at a time
        self.queues = slurm
        self.handles: list[Any] = []

    def _resources(self, job: Job) -> Resources:
        return self.resources.get(job.slug, Resources())

    def submit(self, job: Job) -> Any:
        folder = self.logs / job.slug
        if self.slurm:
            ex: Any = self.submitit.AutoExecutor(folder=folder, cluster="slurm")
        else:
            ex = self.submitit.LocalExecutor(folder=folder)
        ex.update_parameters(**slurm_parameters(job, self._resources(job), self.slurm, self.cuda))
        handle = ex.submit(execute, job)
        self.handles.append(handle)
        return handle

    def progress(self) -> list[tuple[str, int, int]]:
        return []  # no channel back: start and finish lines only

    def started(self, handle: Any) -> bool:
        return not self.slurm or handle.state not in _NOT_STARTED

    def done(self, handle: Any) -> bool:
        return handle.done()

    def limit(self, job: Job) -> float:
        """The job's timeout, or the longer Slurm `time` it asked for."""
        return max(job.timeout, (self._resources(job).time_min or 0) * 60)

    def result(self, handle: Any, job: Job) -> JobResult:
        self._reap(handle)
        if not self.slurm and not handle.paths.result_pickle.exists():
            return JobResult(job, False, error=self._died(handle))
        try:
            return handle.result()
        except self.submitit.core.utils.UncompletedJobError:
            return JobResult(job, False, error=self._died(handle))
        except Exception as exc:  # noqa: BLE001 - the job raised outside `execute`
            return JobResult(job, False, error=f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _died(handle: Any) -> str:
        return (
            f"worker process died (submitit job {handle.job_id} ended without a result, "
            f"state {handle.state}; log: {handle.paths.stderr})"
        )

    def cancel(self, handle: Any) -> str:
        handle.cancel(check=False)
        self._reap(handle)
        return f"submitit job {handle.job_id} was cancelled"

    @staticmethod
    def _reap(handle: Any) -> None:
        """Wait for a local job's controller process (no zombie, no ResourceWarning)."""
        proc = getattr(handle, "_process", None)
        if proc is None:
            return
        try:
            proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """Cancel what an interrupted build left running (its results would be lost anyway)."""
        for handle in self.handles:
            if not handle.done():
                handle.cancel(check=False)
                self._reap(handle)
