"""From stored runs to what the page shows: seeds aggregated into claims, and the timing row."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from mlcollage.model import ClaimCheck, ControlCheck, ControlSpec, Outcome, Paper
from mlcollage.run.progress import Row
from mlcollage.run.store import Store, StoredRun
from mlcollage.run.worker import JobResult


def outcome(
    paper: Paper,
    runs: Sequence[StoredRun],
    status: str,
    error: str = "",
    stale: bool = False,
    controls: Mapping[str, StoredRun | None] | None = None,
) -> Outcome:
    """Aggregate a paper's seeds and controls: a claim is reproduced only when it holds in every
    seed; under each control declared against it, it must fail."""
    if not runs:
        return Outcome(status=status, error=error, stale=stale)
    primary = runs[0].record
    specs = paper.experiment.controls if paper.experiment else ()
    under = {c.name: _by_id((controls or {}).get(c.name)) for c in specs}
    checks = []
    for i, claim in enumerate(primary["claims"]):
        cid = claim.get("id", "")
        per_seed = [_claim(r.record, i, cid) for r in runs]
        per_seed = [c for c in per_seed if c is not None]
        checks.append(
            ClaimCheck(
                statement=claim["statement"],
                holds_in=sum(bool(c["holds"]) for c in per_seed),
                n_seeds=len(runs),
                evidence=tuple(dict(c.get("evidence", {})) for c in per_seed),
                id=cid,
                kind=claim.get("kind", "finding"),
                baseline=claim.get("baseline", ""),
                statements=tuple(sorted(claim.get("statements", {}).items())),
                controls=tuple(
                    _control_check(c, under[c.name].get(cid)) for c in specs if cid in c.breaks
                ),
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


def _claim(record: Mapping[str, Any], i: int, cid: str) -> dict | None:
    """A run's claim by id (by position in records made before claims had ids)."""
    claims = record.get("claims", [])
    if cid:
        return next((c for c in claims if c.get("id") == cid), None)
    return claims[i] if i < len(claims) else None


def _by_id(run: StoredRun | None) -> dict[str, dict]:
    return {} if run is None else {c.get("id", ""): c for c in run.record.get("claims", [])}


def _control_check(spec: ControlSpec, claim: dict | None) -> ControlCheck:
    if claim is None:
        return ControlCheck(spec.name, spec.label, None)
    return ControlCheck(spec.name, spec.label, bool(claim["holds"]), claim["statement"],
                        dict(claim.get("evidence", {})),
                        tuple(sorted(claim.get("statements", {}).items())))


def paper_outcome(
    paper: Paper, mine: list, results: Mapping[tuple, JobResult], store: Store, mode: str
) -> tuple[Outcome, list[Row]]:
    """Store what ran, keep what is current, and aggregate; one timing row per paper and per
    control. ``mode`` is the build's."""
    runs: list[StoredRun] = []
    controls: dict[str, StoredRun | None] = {}
    errors: list[str] = []
    ran = stale = False
    rows: list[Row] = []
    for p in mine:
        r = results.get((paper.slug, p.seed, p.control.name if p.control else ""))
        got: StoredRun | None = None
        if r is not None and r.ok:
            got = store.save(paper, p.primary, r.record, r.arrays, mode)
            ran = True
        elif r is not None:
            what = f"control {p.control.name}" if p.control else f"seed {p.seed}"
            errors.append(r.error if len(mine) == 1 else f"{what}: {r.error}")
            print(f"error: {paper.slug}: {errors[-1]}", file=sys.stderr)
        elif not p.current:
            stale = True  # not asked to run (--only): the old result is shown, marked stale
        got = got or p.stored
        if p.control is not None:
            controls[p.control.name] = got
            rows.append(_control_row(paper, p, r, got))
        elif got is not None:
            runs.append(got)
    own = [p for p in mine if p.control is None]
    if errors:
        status = "failed"
    elif len(runs) < len(own):
        status, runs = "missing", []
    else:
        status = "ran" if ran else "stale" if stale else "cached"
    error = "; ".join(e.splitlines()[0] for e in errors)
    o = outcome(paper, runs, status, error, stale=stale or bool(errors and runs), controls=controls)
    wall = sum(r.wall_s for p in own if (r := results.get((paper.slug, p.seed, ""))) is not None)
    rows.insert(0, Row(
        paper.slug,
        ",".join(str(p.seed) for p in own),
        status,
        wall if (ran or errors) else o.provenance.get("wall_s"),
        o.provenance.get("peak_mem_mb"),
        f"{o.reproduced}/{len(o.claims)}" if o.claims else "-",
    ))
    return o, rows


def _control_row(paper: Paper, p: Any, r: JobResult | None, got: StoredRun | None) -> Row:
    """The control's row: how many of the claims it must break it broke."""
    status = "failed" if r is not None and not r.ok else "ran" if r is not None else (
        "cached" if p.current else "stale" if got else "missing")
    broke = "-"
    if got is not None:
        held = {c.get("id"): c.get("holds") for c in got.record.get("claims", [])}
        n = sum(held.get(i) is False for i in p.control.breaks)
        broke = f"broke {n}/{len(p.control.breaks)}"
    prov = got.record.get("provenance", {}) if got else {}
    return Row(f"  control {p.control.name}", str(p.seed), status,
               r.wall_s if r is not None else prov.get("wall_s"), prov.get("peak_mem_mb"), broke)
