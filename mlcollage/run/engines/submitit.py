"""submitit: one job per experiment run on Slurm, or on this machine with its local executor.

Needs the `slurm` extra (`submitit`), imported only when the engine is made. Cluster resources
come from front matter over site.yaml (`content.resources`).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from mlcollage.model import Resources
from mlcollage.run.engines import EngineContext, EngineError, missing_extra_message
from mlcollage.run.worker import Job, JobResult, execute


def slurm_parameters(job: Job, res: Resources, slurm: bool, cuda: bool) -> dict[str, Any]:
    """submitit parameters for one job from its resources (front matter over site.yaml)."""
    gpus = res.gpus if res.gpus is not None else int((job.device or "").startswith("cuda"))
    params: dict[str, Any] = {"timeout_min": res.time_min or math.ceil(job.timeout / 60) + 1}
    if not slurm:
        # the local executor hides every GPU from a job that asks for none
        return params | {"gpus_per_node": max(gpus, int(cuda))}
    params["name"] = f"mlcollage-{job.slug}"
    if gpus:
        params["gpus_per_node"] = gpus
    if res.mem_gb is not None:
        params["mem_gb"] = res.mem_gb
    if res.cpus is not None:
        params["cpus_per_task"] = res.cpus
    if res.partition is not None:
        params["slurm_partition"] = res.partition
    return params



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
        self.ships = True
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

    def wait(self, timeout: float) -> None:
        time.sleep(timeout)

    def exclusive(self, job: Job) -> bool:
        """On this machine (submitit-local) CUDA jobs take turns; clusters place GPU work."""
        return not self.slurm and (self.cuda or job.device == "cuda")


def make(ctx: EngineContext, name: str = "slurm") -> SubmititEngine:
    folder = ctx.project.resolve() / ".mlcollage" / f"{name}-logs"
    return SubmititEngine(name == "slurm", folder, ctx.n_jobs, ctx.resources, ctx.cuda)
