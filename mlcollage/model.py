"""The typed model of a site: frozen dataclasses built by `content.load_site`, read by each step."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def repr_hash(value: Any) -> str:
    """A short hash of ``repr(value)``: the build's keys for values made of dataclasses, tuples
    and strings (whose reprs are stable)."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()

@dataclass(frozen=True)
class Problem:
    """One input error, reported as ``path:line: message``."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class BuildFailed(Exception):
    """An experiment failed, or (with --strict) a claim did not hold: the CLI exits 1."""


class InputError(Exception):
    """Bad input: every problem found, reported at once; the CLI exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (str(p.path), p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Resources:
    """What a cluster job asks for: `experiment: {resources: ...}` over site.yaml's `resources`.

    Used by `--executor slurm` (and submitit-local); None leaves the engine's default.
    """

    gpus: int | None = None
    """GPUs per job (Slurm `--gpus-per-node`)."""
    time_min: int | None = None
    """Wall-time limit in minutes (front matter: '30m', '2h', '1h30m')."""
    mem_gb: float | None = None
    """Memory in GB (front matter: '8G', '500M')."""
    partition: str | None = None
    """Slurm partition."""
    cpus: int | None = None
    """CPUs per task."""

    def over(self, base: Resources) -> Resources:
        """These resources, with unset fields taken from ``base`` (the site default)."""
        return Resources(
            **{
                name: getattr(base, name) if getattr(self, name) is None else getattr(self, name)
                for name in self.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class SiteConfig:
    """`site_src/site.yaml`."""

    title: str
    """Shown in the header, the feed and the page titles."""
    author: str
    """The digest's author (feed, meta tags, citations)."""
    description: str
    """One sentence for the home page, meta description and feed subtitle."""
    base_url: str
    """Absolute URL the site is published at; used only for the feed, sitemap and OpenGraph."""
    language: str = "en"
    """The pages' `lang` attribute."""
    series: str = "ML-Collage"
    """The series label on slides: `ML-Collage [k/N]`."""
    search: bool = True
    """Write the search files and show the search box."""
    resources: Resources = Resources()
    """Default cluster resources of every experiment (`--executor slurm`)."""


@dataclass(frozen=True)
class ExperimentSpec:
    """A paper's `experiment.py` and the front matter's `experiment:` overrides."""

    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    """Overrides of the experiment's `Config` defaults."""
    seeds: tuple[int, ...] = (0,)
    """One run per seed; a claim is reproduced only when it holds in every seed."""
    timeout: float | None = None
    """Seconds before the worker is killed; None uses the build's `--timeout`."""
    gpu: bool = False
    """`gpu: true`: the experiment runs on CUDA (and fails where there is none)."""
    resources: Resources = Resources()
    """Cluster resources asked for by `--executor slurm`, over site.yaml's defaults."""
    config_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Front-matter line of each config override, for error messages."""


@dataclass(frozen=True)
class Paper:
    """One paper entry: `site_src/YYYY-MM/<slug>/index.md` (+ optional `experiment.py`)."""

    slug: str
    month: str
    source: Path
    title: str
    authors: tuple[str, ...]
    year: int
    summary_md: str
    venue: str = ""
    links: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    takeaways: tuple[str, ...] = ()
    arxiv: str = ""
    draft: bool = False
    number: int | None = None
    """Position in the year's series (`ML-Collage [k/N]`); None numbers papers in order."""
    experiment: ExperimentSpec | None = None
    digest: str = field(default="", init=False, repr=False, compare=False)
    """A hash of all the fields above, made once (cached Papers keep it): page and slide keys."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", repr_hash(self))

    @property
    def url(self) -> str:
        return f"{self.month}/{self.slug}/"

    @property
    def folder(self) -> Path:
        return self.source.parent


@dataclass(frozen=True)
class Digest:
    """One month: `site_src/YYYY-MM/index.md` and its papers in order."""

    month: str
    source: Path
    title: str
    date: dt.date
    intro_md: str
    outro_md: str
    papers: tuple[Paper, ...]
    description: str = ""
    draft: bool = False

    @property
    def url(self) -> str:
        return f"{self.month}/"


@dataclass(frozen=True)
class Site:
    """Everything under `site_src/`: the config and the digests, newest first."""

    root: Path
    config: SiteConfig
    digests: tuple[Digest, ...]
    notices: tuple[str, ...] = ()
    """Things left out on purpose (future digests), told to the user, never silent."""

    @property
    def papers(self) -> tuple[Paper, ...]:
        return tuple(p for d in self.digests for p in d.papers)

    def tags(self) -> dict[str, list[Paper]]:
        out: dict[str, list[Paper]] = {}
        for paper in self.papers:
            for tag in paper.tags:
                out.setdefault(tag, []).append(paper)
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class ClaimCheck:
    """One claim checked over every seed of a paper's experiment."""

    statement: str
    """The statement as the first seed's run phrased it (with that run's numbers)."""
    holds_in: int
    """Number of seeds in which the claim held."""
    n_seeds: int
    evidence: tuple[dict[str, float], ...] = ()
    """The deciding numbers, one mapping per seed."""

    @property
    def reproduced(self) -> bool:
        return self.n_seeds > 0 and self.holds_in == self.n_seeds


@dataclass(frozen=True)
class Outcome:
    """What the build knows about a paper's experiment: shown on the page and the slide."""

    status: str
    """'cached' (frozen result is current), 'ran', 'failed', or 'missing' (never ran)."""
    mode: str = "full"
    seeds: tuple[int, ...] = ()
    claims: tuple[ClaimCheck, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    stale: bool = False
    """True when the result shown is an older one kept after a failed run."""

    @property
    def reproduced(self) -> int:
        return sum(c.reproduced for c in self.claims)


@dataclass(frozen=True)
class PaperImages:
    """Image files of a paper, by role, as paths relative to the paper's output folder."""

    slide: str = ""
    slide_vector: str = ""
    card: str = ""
    thumbs: tuple[tuple[int, str], ...] = ()  # (width, file)
    width: int = 1920
    height: int = 1080


def series_numbers(site: Site) -> dict[str, tuple[int, int]]:
    """slug -> (k, N): position in its year's series, and the year's count."""
    by_year: dict[str, list[Paper]] = {}
    for digest in sorted(site.digests, key=lambda d: d.month):
        by_year.setdefault(digest.month[:4], []).extend(digest.papers)
    out = {}
    for papers in by_year.values():
        for i, paper in enumerate(papers, start=1):
            out[paper.slug] = (paper.number or i, len(papers))
    return out
