"""One experiment run, as shipped to a worker: (paper folder, config overrides, seed, mode) -> data.

`execute` is a plain function of picklable data so that any executor can run it: the local
process pool here, or a Dask / submitit worker. It never touches `figures/`; the parent stores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Job:
    """Everything a worker needs; picklable."""

    slug: str
    script: Path
    overrides: dict[str, Any]
    seed: int
    mode: str
    key: str
    timeout: float
    device: str | None = None
    override_lines: dict[str, int] = field(default_factory=dict)
    control: str = ""
    """The negative control this job runs ('' for the paper's own runs)."""
    memory_mb: float | None = None
    """The front matter's `memory:` (local runs: the most the run may allocate)."""
    log: str = ""
    """Where a local worker's stdout and stderr go in full (`.mlcollage/logs/`)."""

    @property
    def label(self) -> str:
        if self.control:
            return f"{self.slug} (control {self.control})"
        return self.slug if self.seed == 0 else f"{self.slug} (seed {self.seed})"


@dataclass
class JobResult:
    """What comes back: a stored-ready record and arrays, or an error message."""

    job: Job
    ok: bool
    record: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    wall_s: float = 0.0


def make_config(module: Any, job: Job) -> Any:
    """The effective Config: defaults (or quick) with the front matter's overrides applied."""
    from mlcollage.content.source import same_kind
    from mlcollage.experiment import ContractError

    base = module.Config.quick() if job.mode == "quick" else module.Config()
    names = {f.name: f for f in dataclasses.fields(base)}
    for key, value in job.overrides.items():
        where = f"{job.script.parent / 'index.md'}:{job.override_lines.get(key, 1)}"
        if key not in names:
            from mlcollage.content.frontmatter import did_you_mean

            raise ContractError(
                f"{where}: unknown config field '{key}'; {did_you_mean(key, names)}"
            )
        default = getattr(base, key)
        if not same_kind(default, value):
            raise ContractError(
                f"{where}: config field '{key}' is {value!r}; expected a "
                f"{type(default).__name__} like the default {default!r}"
            )
    return dataclasses.replace(base, **job.overrides)


def git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=folder,
            text=True,
            capture_output=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def execute(job: Job, on_progress: Callable[[int, int], None] | None = None) -> JobResult:
    """Load the experiment, run it, check its claims; never raises for the experiment's faults."""
    start, cpu0 = time.perf_counter(), time.process_time()
    try:
        from mlcollage.experiment import (
            check_claims,
            encode_result,
            load_experiment,
            roundtrip,
            run_experiment,
        )
        from mlcollage.state.keys import versions

        _check_device(job)
        module = load_experiment(job.script)
        config = make_config(module, job)
        raw = run_experiment(
            module,
            config,
            seed=job.seed,
            mode=job.mode,
            device=job.device,
            on_progress=on_progress,
            where=str(job.script),
        )
        result = roundtrip(raw)
        claims = check_claims(module.claims(result), f"{job.script}: claims()")
        tree, arrays = encode_result(raw)
        wall = time.perf_counter() - start
        device = _device_name(job.device)
        record = {
            "key": job.key,
            "slug": job.slug,
            "seed": job.seed,
            "mode": job.mode,
            **({"control": job.control} if job.control else {}),
            "config": _plain(dataclasses.asdict(config)),
            "claims": [c.to_dict() for c in claims],
            "result": tree,
            "provenance": {
                "versions": versions() | {"python": sys.version.split()[0]},
                "device": device,
                "wall_s": round(wall, 2),
                "cpu_s": round(time.process_time() - cpu0, 2),
                "peak_mem_mb": _peak_mem_mb(device),
                "date": dt.date.today().isoformat(),
                "git_commit": git_commit(job.script.parent),
            },
        }
        return JobResult(job, True, record, arrays, wall_s=wall)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the experiment's faults are data
        return JobResult(job, False, error=describe(exc, job), wall_s=time.perf_counter() - start)


def describe(exc: BaseException, job: Job) -> str:
    """A short message for an experiment's exception: what, and where in its own file."""
    from mlcollage.experiment import ContractError

    if isinstance(exc, ContractError):
        return str(exc).strip()
    if isinstance(exc, SystemExit):
        return f"the experiment called sys.exit({exc.code!r}); expected run() to return its result"
    text = f"{type(exc).__name__}: {exc}"
    if job.memory_mb and (
        isinstance(exc, MemoryError) or "can't allocate memory" in text or "out of memory" in text
    ):
        text = (f"the run allocated more than its memory limit ({_size(job.memory_mb)}, "
                f"`memory:` in index.md): {text}")
    return f"{text}\n{_where(exc, job.script)}".strip()


def _size(mb: float) -> str:
    return f"{mb / 1024:g}G" if mb >= 1024 else f"{mb:g}M"


def _check_device(job: Job) -> None:
    """A `gpu: true` experiment fails with a clear message where there is no CUDA."""
    if not (job.device or "").startswith("cuda"):
        return
    import socket

    import torch

    from mlcollage.experiment import ContractError

    if not torch.cuda.is_available():
        raise ContractError(
            f"{job.script.parent / 'index.md'}: the experiment declares gpu: true but CUDA is "
            f"not available on {socket.gethostname()}; expected a machine with a GPU"
        )


def _where(exc: BaseException, script: Path) -> str:
    """The innermost frame of the experiment's own folder, for a short error."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if Path(f.filename).parent == script.parent
    ]
    if not frames:
        return ""
    f = frames[-1]
    return f"  at {f.filename}:{f.lineno} in {f.name}: {f.line}"


def _device_name(device: str | None) -> str:
    import torch

    name = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu"


def _peak_mem_mb(device: str) -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if device.startswith("cuda"):
        import torch

        rss += torch.cuda.max_memory_allocated() / 2**20
    return round(rss, 1)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# the child-process side of the local pool


LOG_LIMIT = 64 * 2**20
"""The most a run's log keeps (bytes): a run that prints without end fails; the disk stays."""


def child_main(job: Job, conn: Any) -> None:
    """Entry point of a worker process: progress and the result go back through ``conn``.

    The run's stdout and stderr (Python's and C's: file descriptors 1 and 2) go to ``job.log``;
    ``job.memory_mb`` bounds what the run may allocate on top of what the worker already maps.
    Whatever the experiment raises, a result is sent; if it ends the process itself, the parent
    sees the exit code.
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _contain(job)
    try:
        _child_run(job, conn)
    except BaseException as exc:  # noqa: BLE001 - a BaseException of the experiment's own
        conn.send(("done", JobResult(job, False, error=describe(exc, job))))
        conn.close()


def _contain(job: Job) -> None:
    import signal

    if job.log:
        Path(job.log).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails (EFBIG)
        _limit(resource.RLIMIT_FSIZE, LOG_LIMIT)
    if job.memory_mb:
        _limit(resource.RLIMIT_AS, _mapped_bytes() + int(job.memory_mb * 2**20))


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def _mapped_bytes() -> int:
    """The worker's virtual size now (torch and the fork server's imports are mapped already)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _child_run(job: Job, conn: Any) -> None:
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or done >= total:
            last[0] = now
            conn.send(("progress", done, total))

    result = execute(job, progress)
    conn.send(("done", result))
    conn.close()
