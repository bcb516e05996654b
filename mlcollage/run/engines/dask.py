"""Dask distributed: a `LocalCluster` sized to this machine, or an existing scheduler.

Needs the `dask` extra (`distributed`), imported only when the engine is made.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from typing import Any

from mlcollage.run.engines import EngineContext, EngineError, missing_extra_message
from mlcollage.run.worker import Job, JobResult, execute


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
        self.ships = True
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




    def wait(self, timeout: float) -> None:
        time.sleep(timeout)

    def exclusive(self, job: Job) -> bool:
        return False  # the cluster places GPU work (`resources={"GPU": 1}`)


def make(ctx: EngineContext, name: str = "dask") -> DaskEngine:
    return DaskEngine(ctx.address, ctx.n_jobs)
