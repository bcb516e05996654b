"""From stored runs to what the page shows: seeds aggregated into claims, and the timing row."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mlcollage.model import ClaimCheck, Outcome, Paper
from mlcollage.run.progress import Row
from mlcollage.run.store import Store, StoredRun
from mlcollage.run.worker import JobResult


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


def paper_outcome(
    paper: Paper, mine: list, results: dict[tuple[str, int], JobResult], store: Store
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
