"""What the build would run: every (paper, seed) with its result key and what `figures/` holds."""

from __future__ import annotations

from dataclasses import dataclass

from mlcollage.model import Outcome, Paper, Site
from mlcollage.run.outcome import outcome
from mlcollage.run.store import Store, StoredRun, result_key
from mlcollage.run.worker import Job


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


def frozen_outcomes(site: Site, store: Store, mode: str) -> dict[str, Outcome]:
    """Outcomes from `figures/` alone; stale or missing results are marked 'running' (serve)."""
    by_slug: dict[str, list] = {}
    for p in plan(site, store, mode):
        by_slug.setdefault(p.paper.slug, []).append(p)
    out = {}
    for paper in site.papers:
        mine = by_slug.get(paper.slug)
        if mine:
            runs = [p.stored for p in mine if p.stored is not None]
            current = all(p.current for p in mine)
            out[paper.slug] = outcome(
                paper,
                runs if len(runs) == len(mine) else [],
                "cached" if current else "running",
                stale=not current,
            )
    return out
