"""The build's run step: what is stale runs on the chosen engine; the policy decides what fails."""

from __future__ import annotations

import sys

from mlcollage.model import BuildFailed, Outcome, Site
from mlcollage.options import Options
from mlcollage.run.engines import EngineContext, EngineError, run_jobs
from mlcollage.run.outcome import paper_outcome
from mlcollage.run.plan import Planned, frozen_outcomes, job_for, plan
from mlcollage.run.progress import LiveProgress, Row, print_table
from mlcollage.run.store import Store
from mlcollage.run.worker import JobResult


def run_step(site: Site, opts: Options, store: Store, defer: bool = False) -> dict[str, Outcome]:
    """Each paper's outcome, after running what is stale (``defer``, serve: show it as running).

    An experiment that failed fails the build unless --keep-going; with --strict, so does a
    claim that did not hold in every seed.
    """
    if defer:
        return frozen_outcomes(site, store, opts.mode)
    outcomes, failures = run_stale(site, opts, store)
    if failures and not opts.keep_going:
        raise BuildFailed(f"{len(failures)} experiment(s) failed: " + "; ".join(failures))
    if opts.strict:
        weak = strict_problems(outcomes)
        if weak:
            raise BuildFailed("--strict: " + "; ".join(weak))
    return outcomes


def strict_problems(outcomes: dict[str, Outcome]) -> list[str]:
    """What `--strict` refuses: a claim not reproduced on every seed, a claim no control is
    declared to break, and a control under which a claim it targets still holds."""
    out = []
    for slug, o in outcomes.items():
        for c in o.claims:
            name = f"{slug}: claim {c.id or c.statement!r}"
            if not c.reproduced:
                out.append(f"{name} not reproduced ({c.holds_in}/{c.n_seeds} seeds)")
            if not c.tested and c.kind != "expected":
                out.append(f"{name} is not tested against a control")
            for k in c.controls:
                if k.holds is True:
                    out.append(f"{name} still holds under control '{k.name}' ({k.label})")
                elif k.holds is None:
                    out.append(f"{name}: control '{k.name}' has no result")
    return out


def run_stale(site: Site, opts: Options, store: Store) -> tuple[dict[str, Outcome], list[str]]:
    """Run what is stale (or everything with --force), store successes, return each paper's
    outcome and the failures; failures are returned, not raised, so the caller decides."""
    planned = plan(site, store, opts.mode)
    todo = [
        p
        for p in planned
        if (opts.force or not p.current or (opts.rerun_versions and p.version_changes))
        and (not opts.only or p.paper.slug in opts.only)
    ]
    if opts.verbosity > 0:
        for p in planned:
            state = "missing" if p.stored is None else "current" if p.current else "stale"
            changed = ", ".join(f"{n} {a} -> {b}" for n, (a, b) in p.version_changes.items())
            print(f"{p.label} seed {p.seed} ({p.mode}): {state}, key {p.key[:12]}"
                  + (f"; made with {changed}" if changed else ""), file=sys.stderr)
    if todo and opts.no_run:
        names = ", ".join(sorted({p.paper.slug for p in todo}))
        raise BuildFailed(
            f"results are stale or missing for {names} and --no-run forbids "
            "running; run `mlcollage build` locally and commit figures/"
        )
    results: dict[tuple[str, int, str], JobResult] = {}
    if todo:
        with LiveProgress(len(todo), quiet=opts.verbosity < 0) as live:
            for r in _run_jobs(site, todo, opts, live):
                results[(r.job.slug, r.job.seed, r.job.control)] = r
    outcomes: dict[str, Outcome] = {}
    failures: list[str] = []
    rows: list[Row] = []
    for paper in site.papers:
        mine = [p for p in planned if p.paper.slug == paper.slug]
        if mine:
            o, paper_rows = paper_outcome(paper, mine, results, store, opts.mode)
            outcomes[paper.slug] = o
            rows += paper_rows
            if o.status == "failed":
                failures.append(f"{paper.slug}: {o.error}")
    if opts.verbosity >= 0:
        print_table(rows)
    return outcomes, failures


def _run_jobs(
    site: Site, todo: list[Planned], opts: Options, live: LiveProgress
) -> list[JobResult]:
    """Run on the engine `--executor` names. `gpu: true` experiments get device cuda; elsewhere
    the worker picks CUDA when it has it."""
    jobs = [job_for(p, opts.timeout, "cuda" if p.paper.experiment.gpu else None) for p in todo]
    ctx = EngineContext(
        n_jobs=opts.jobs,
        project=opts.project,
        resources={
            p.paper.slug: p.paper.experiment.resources.over(site.config.resources) for p in todo
        },
        cuda=_cuda_available(),
        log_dir=opts.state_dir / "logs",
    )
    try:
        return run_jobs(opts.executor, jobs, ctx, live.update, live.done)
    except EngineError as exc:
        raise BuildFailed(f"--executor {opts.executor}: {exc}") from exc


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


__all__ = ["BuildFailed", "run_stale", "run_step"]
