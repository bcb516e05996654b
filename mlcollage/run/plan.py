"""What the build would run: every (paper, seed) with its result key and what `figures/` holds."""

from __future__ import annotations

from dataclasses import dataclass

from mlcollage.model import ControlSpec, Outcome, Paper, Site
from mlcollage.run.outcome import outcome
from mlcollage.run.store import Store, StoredRun, result_key, version_changes
from mlcollage.run.worker import Job


@dataclass
class Planned:
    """One (paper, seed) of the build: its current key and what `figures/` holds for it."""

    paper: Paper
    seed: int
    primary: bool
    mode: str
    """The mode the run is in (a control's own mode: quick unless it asks for full)."""
    key: str
    stored: StoredRun | None
    control: ControlSpec | None = None
    """The negative control this run is, None for the paper's own runs."""

    @property
    def current(self) -> bool:
        return self.stored is not None and self.stored.key == self.key

    @property
    def version_changes(self) -> dict[str, tuple[str, str]]:
        """Versions (mlcollage, torch, numpy) that differ from the ones the stored run had."""
        return version_changes(self.stored.record) if self.stored is not None else {}

    @property
    def label(self) -> str:
        return self.paper.slug if self.control is None else f"{self.paper.slug}:{self.control.name}"


def plan(site: Site, store: Store, mode: str) -> list[Planned]:
    """Every (paper, seed) with an experiment, with its key and stored run."""
    out = []
    for paper in site.papers:
        spec = paper.experiment
        if spec is None:
            continue
        seeds = spec.seeds_for(mode)
        for i, seed in enumerate(seeds):
            key = result_key(spec, seed, mode)
            stored = store.load(paper, seed, mode, i == 0)
            out.append(Planned(paper, seed, i == 0, mode, key, stored))
        for c in spec.controls:  # one run each, on the first seed, in the control's mode
            key = result_key(spec, seeds[0], c.mode, c)
            stored = store.load(paper, seeds[0], mode, True, c.name)
            out.append(Planned(paper, seeds[0], True, c.mode, key, stored, c))
    return out


def job_for(p: Planned, default_timeout: float, device: str | None = None) -> Job:
    spec = p.paper.experiment
    assert spec is not None
    overrides, lines = dict(spec.config), dict(spec.config_lines)
    if p.control is not None:  # quick controls run the quick config: no front-matter overrides
        overrides = (overrides if p.control.mode == "full" else {}) | p.control.override
        lines = {k: v for k, v in lines.items() if k not in p.control.override}
    return Job(
        slug=p.paper.slug,
        script=spec.path,
        overrides=overrides,
        seed=p.seed,
        mode=p.mode,
        key=p.key,
        timeout=float(spec.timeout or default_timeout),
        device=device,
        override_lines=lines,
        control=p.control.name if p.control else "",
        memory_mb=spec.memory_mb,
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
            own = [p for p in mine if p.control is None]
            runs = [p.stored for p in own if p.stored is not None]
            current = all(p.current for p in mine)
            out[paper.slug] = outcome(
                paper,
                runs if len(runs) == len(own) else [],
                "cached" if current else "running",
                stale=not current,
                controls={p.control.name: p.stored for p in mine if p.control is not None},
            )
    return out
