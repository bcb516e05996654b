"""What is stale, and running it: a local process pool with per-job time limits and progress."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .cache import Store, StoredRun, result_key
from .model import ClaimCheck, Outcome, Paper, Site
from .report import LiveProgress, Row, print_table
from .worker import Job, JobResult, child_main


class BuildFailed(Exception):
    """An experiment failed, or (with --strict) a claim did not hold."""


@dataclass
class Planned:
    """One (paper, seed) of the build: its current key and what `figures/` holds for it."""

    paper: Paper
    seed: int
    primary: bool
    mode: str
    key: str
    stored: StoredRun | None

    @property
    def current(self) -> bool:
        return self.stored is not None and self.stored.key == self.key


def plan(site: Site, store: Store, mode: str) -> list[Planned]:
    """Every (paper, seed) with an experiment, with its key and stored run."""
    out = []
    for paper in site.papers:
        spec = paper.experiment
        if spec is None:
            continue
        for i, seed in enumerate(spec.seeds):
            out.append(
                Planned(
                    paper,
                    seed,
                    i == 0,
                    mode,
                    result_key(spec, seed, mode),
                    store.load(paper, seed, mode, i == 0),
                )
            )
    return out


def job_for(p: Planned, default_timeout: float, device: str | None = None) -> Job:
    spec = p.paper.experiment
    assert spec is not None
    return Job(
        slug=p.paper.slug,
        script=spec.path,
        overrides=dict(spec.config),
        seed=p.seed,
        mode=p.mode,
        key=p.key,
        timeout=float(spec.timeout or default_timeout),
        device=device,
        override_lines=dict(spec.config_lines),
    )


# ---------------------------------------------------------------------------------------------
# the local pool


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _context() -> Any:
    import multiprocessing as mp  # here, not at the top: a rebuild that runs nothing needs none

    # one BLAS/OpenMP thread per worker: on 2 shared cores more threads ran 5-20x slower;
    # set before the fork server starts so every worker (and its numpy) inherits it
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        # import torch once in the fork server; every worker forks from it with torch loaded
        ctx.set_forkserver_preload(["torch", "mlcollage.worker", "mlcollage.experiment"])
        return ctx
    return mp.get_context("spawn")


Progress = Callable[[Job, int, int], None]


def run_local(
    jobs: Sequence[Job],
    n_jobs: int,
    on_progress: Progress | None = None,
    on_done: Callable[[JobResult], None] | None = None,
    exclusive: Callable[[Job], bool] = lambda job: False,
) -> list[JobResult]:
    """Run ``jobs`` in up to ``n_jobs`` processes; kill any that passes its time limit.

    Jobs for which ``exclusive(job)`` is true (CUDA) run one at a time.
    """
    from multiprocessing.connection import wait

    ctx = _context()
    pending = list(jobs)
    running: dict[Any, tuple[Job, Any, float]] = {}  # conn -> (job, process, deadline)
    results: list[JobResult] = []

    def finish(conn: Any, result: JobResult) -> None:
        job, proc, _ = running.pop(conn)
        conn.close()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        results.append(result)
        if on_done:
            on_done(result)

    try:
        while pending or running:
            busy_exclusive = any(exclusive(j) for j, _, _ in running.values())
            while pending and len(running) < max(1, n_jobs):
                idx = next(
                    (i for i, j in enumerate(pending) if not (exclusive(j) and busy_exclusive)),
                    None,
                )
                if idx is None:
                    break
                job = pending.pop(idx)
                busy_exclusive = busy_exclusive or exclusive(job)
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=child_main, args=(job, child), daemon=True)
                proc.start()
                child.close()
                running[parent] = (job, proc, time.monotonic() + job.timeout)
            ready = wait(list(running) + [p.sentinel for _, p, _ in running.values()], timeout=0.2)
            for conn in [c for c in ready if c in running]:
                job, proc, start = running[conn]
                try:
                    while conn.poll():
                        msg = conn.recv()
                        if msg[0] == "progress" and on_progress:
                            on_progress(job, msg[1], msg[2])
                        elif msg[0] == "done":
                            finish(conn, msg[1])
                            break
                except (EOFError, OSError):
                    proc.join(1)
                    finish(
                        conn,
                        JobResult(
                            job, False, error=f"worker process died (exit code {proc.exitcode})"
                        ),
                    )
            now = time.monotonic()
            for conn, (job, proc, deadline) in list(running.items()):
                if now > deadline:
                    proc.kill()
                    finish(
                        conn,
                        JobResult(
                            job,
                            False,
                            error=f"timed out after {job.timeout:g} s (the worker was killed)",
                            wall_s=job.timeout,
                        ),
                    )
                elif not proc.is_alive() and not conn.poll():
                    finish(
                        conn,
                        JobResult(
                            job, False, error=f"worker process died (exit code {proc.exitcode})"
                        ),
                    )
    finally:
        for conn, (_, proc, _) in running.items():
            proc.kill()
            conn.close()
    return results


# ---------------------------------------------------------------------------------------------
# from stored runs to what the page shows


def outcome(
    paper: Paper, runs: Sequence[StoredRun], status: str, error: str = "", stale: bool = False
) -> Outcome:
    """Aggregate a paper's seeds: a claim is reproduced only when it holds in every seed."""
    if not runs:
        return Outcome(status=status, error=error, stale=stale)
    primary = runs[0].record
    checks = []
    for i, claim in enumerate(primary["claims"]):
        per_seed = [r.record["claims"][i] for r in runs if i < len(r.record["claims"])]
        checks.append(
            ClaimCheck(
                statement=claim["statement"],
                holds_in=sum(bool(c["holds"]) for c in per_seed),
                n_seeds=len(runs),
                evidence=tuple(dict(c.get("evidence", {})) for c in per_seed),
            )
        )
    return Outcome(
        status=status,
        mode=primary["mode"],
        seeds=tuple(r.seed for r in runs),
        claims=tuple(checks),
        config=primary.get("config", {}),
        provenance=dict(primary.get("provenance", {})) | {"key": primary["key"]},
        error=error,
        stale=stale,
    )


# ---------------------------------------------------------------------------------------------
# the build's run step


def run_stale(site: Site, opts: Any, store: Store) -> tuple[dict[str, Outcome], list[str]]:
    """Run what is stale (or everything with --force), store successes, return each paper's
    outcome and the failures; failures are returned, not raised, so the caller decides."""
    mode = "quick" if opts.quick else "full"
    planned = plan(site, store, mode)
    todo = [
        p
        for p in planned
        if (opts.force or not p.current) and (not opts.only or p.paper.slug in opts.only)
    ]
    if todo and opts.no_run:
        names = ", ".join(sorted({p.paper.slug for p in todo}))
        raise BuildFailed(
            f"results are stale or missing for {names} and --no-run forbids "
            "running; run `mlcollage build` locally and commit figures/"
        )
    results: dict[tuple[str, int], JobResult] = {}
    if todo:
        with LiveProgress(len(todo)) as live:
            for r in _run_jobs(site, todo, opts, live):
                results[(r.job.slug, r.job.seed)] = r
    outcomes: dict[str, Outcome] = {}
    failures: list[str] = []
    rows: list[Row] = []
    for paper in site.papers:
        mine = [p for p in planned if p.paper.slug == paper.slug]
        if mine:
            o, row = _paper_outcome(paper, mine, results, store)
            outcomes[paper.slug] = o
            rows.append(row)
            if o.status == "failed":
                failures.append(f"{paper.slug}: {o.error}")
    print_table(rows)
    return outcomes, failures


def _run_jobs(site: Site, todo: list[Planned], opts: Any, live: LiveProgress) -> list[JobResult]:
    """Run on the engine `--executor` names: the local pool, or one from executors.py.

    `gpu: true` experiments get device cuda; elsewhere the worker picks CUDA when it has it.
    Locally, CUDA jobs run one at a time.
    """
    cuda = _cuda_available()
    jobs = [job_for(p, opts.timeout, "cuda" if p.paper.experiment.gpu else None) for p in todo]
    executor = getattr(opts, "executor", "local")
    if executor == "local":

        def exclusive(job: Job) -> bool:
            return cuda or job.device == "cuda"

        return run_local(jobs, opts.jobs, live.update, live.done, exclusive=exclusive)
    from .executors import EngineError, run_elsewhere

    resources = {
        p.paper.slug: p.paper.experiment.resources.over(site.config.resources) for p in todo
    }
    try:
        return run_elsewhere(
            executor,
            jobs,
            n_jobs=opts.jobs,
            project=opts.project,
            resources=resources,
            cuda=cuda,
            on_progress=live.update,
            on_done=live.done,
        )
    except EngineError as exc:
        raise BuildFailed(f"--executor {executor}: {exc}") from exc


def _paper_outcome(
    paper: Paper, mine: list[Planned], results: dict[tuple[str, int], JobResult], store: Store
) -> tuple[Outcome, Row]:
    runs: list[StoredRun] = []
    errors: list[str] = []
    ran = stale = False
    wall = 0.0
    for p in mine:
        r = results.get((paper.slug, p.seed))
        if r is not None:
            wall += r.wall_s
        if r is not None and r.ok:
            runs.append(store.save(paper, p.primary, r.record, r.arrays))
            ran = True
            continue
        if r is not None:
            errors.append(r.error if len(mine) == 1 else f"seed {p.seed}: {r.error}")
            print(f"error: {paper.slug}: {errors[-1]}", file=sys.stderr)
        elif not p.current:
            stale = True  # not asked to run (--only): the old result is shown, marked stale
        if p.stored is not None:
            runs.append(p.stored)
    if errors:
        status = "failed"
    elif len(runs) < len(mine):
        status, runs = "missing", []
    else:
        status = "ran" if ran else "stale" if stale else "cached"
    error = "; ".join(e.splitlines()[0] for e in errors)
    o = outcome(paper, runs, status, error, stale=stale or bool(errors and runs))
    row = Row(
        paper.slug,
        ",".join(str(p.seed) for p in mine),
        status,
        wall if (ran or errors) else o.provenance.get("wall_s"),
        o.provenance.get("peak_mem_mb"),
        f"{o.reproduced}/{len(o.claims)}" if o.claims else "-",
    )
    return o, row


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
