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
    """The default language: the pages' `lang` attribute, the tree at `/`."""
    languages: tuple[str, ...] = ()
    """Every language of the site, the default first (empty: the default only). Each other
    language gets its own tree at `/<lang>/` from `index.<lang>.md` files."""
    translated: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """Per other language, site.yaml's `translations: {<lang>: {title: ..., description: ...}}`."""
    series: str = "ML-Collage"
    """The series label on slides: `ML-Collage [k]` (k: the paper's place in its year)."""
    search: bool = True
    """Write the search files and show the search box."""
    resources: Resources = Resources()
    """Default cluster resources of every experiment (`--executor slurm`)."""


@dataclass(frozen=True)
class ControlSpec:
    """A negative control declared in `experiment.py` (`CONTROLS`): the override that removes
    the paper's mechanism, and the ids of the claims that must fail under it."""

    name: str
    label: str
    """Completes "fails when ...": what the control does, for the reader."""
    override: dict[str, Any] = field(default_factory=dict)
    breaks: tuple[str, ...] = ()
    mode: str = "quick"
    """'quick' (the default: the quick config with the override) or 'full'."""
    line: int = field(default=0, compare=False)
    """Line of the `Control(...)` in experiment.py, for error messages."""


@dataclass(frozen=True)
class DeviationSpec:
    """One way the reproduction departs from the paper (`DEVIATIONS`): a row of the page's table."""

    what: str
    paper: str
    ours: str
    why: str


DEFAULT_SEEDS = (0, 1, 2)
"""Published (full-mode) results run these seeds unless front matter says `seeds:`."""


@dataclass(frozen=True)
class ExperimentSpec:
    """A paper's `experiment.py` and the front matter's `experiment:` overrides."""

    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    """Overrides of the experiment's `Config` defaults."""
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    """Full mode: one run per seed, a claim is reproduced only when it holds in every seed.
    Quick mode runs the first seed only."""
    timeout: float | None = None
    """Seconds before the worker is killed; None uses the build's `--timeout`."""
    gpu: bool = False
    """`gpu: true`: the experiment runs on CUDA (and fails where there is none)."""
    memory_mb: float | None = None
    """`memory: 2G`: what a local run may allocate on top of the worker it forks from."""
    resources: Resources = Resources()
    """Cluster resources asked for by `--executor slurm`, over site.yaml's defaults."""
    config_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Front-matter line of each config override, for error messages."""
    controls: tuple[ControlSpec, ...] = ()
    """The file's negative controls (`CONTROLS`)."""
    deviations: tuple[DeviationSpec, ...] = ()
    """The file's deviations from the paper (`DEVIATIONS`)."""
    claim_ids: tuple[str, ...] = ()
    """The claim ids the file declares (string literals), for checking controls statically."""

    def seeds_for(self, mode: str) -> tuple[int, ...]:
        """The seeds a build in ``mode`` runs: all of them in full mode, the first in quick."""
        return self.seeds if mode == "full" else self.seeds[:1]


@dataclass(frozen=True)
class PaperFigure:
    """The paper's own figure, shown on the slide as a panel beside our reproduction."""

    file: str
    """A file in the paper's folder (relative path, POSIX separators)."""
    credit: str
    """Shown under the image: 'Figure 1 of Rahaman et al. 2019, CC BY 4.0'."""
    alt: str
    title: str = ""
    """The panel's title; '' shows 'The paper's figure' in the page's language."""


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
    """Position in the year's series (`ML-Collage [k]`); None numbers papers in order."""
    experiment: ExperimentSpec | None = None
    figure: PaperFigure | None = None
    lang: str = ""
    """The language of this text ('': the site's default)."""
    fallback: bool = False
    """Shown in another language's tree without a translation (`index.<lang>.md` missing)."""
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
    lang: str = ""
    fallback: bool = False
    """Shown in another language's tree without a translation (`index.<lang>.md` missing)."""

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
    translations: tuple[Site, ...] = ()
    """The same site in each other language of `config.languages` (same digests, papers and
    order; `config.language` is that language). Experiments run once, for this site's papers."""

    @property
    def lang(self) -> str:
        return self.config.language

    @property
    def default_language(self) -> str:
        return self.config.languages[0] if self.config.languages else self.config.language

    @property
    def prefix(self) -> str:
        """Where this language's tree is: '' for the default, 'zh-CN/' for another."""
        return "" if self.lang == self.default_language else f"{self.lang}/"

    def languages(self) -> tuple[Site, ...]:
        """This site, then each translation."""
        return (self, *self.translations)

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
class ControlCheck:
    """One claim under one negative control: it must not hold there."""

    name: str
    label: str
    holds: bool | None
    """Whether the claim held under the control; None when the control has no result."""
    statement: str = ""
    """The claim as the control's run phrased it, with that run's numbers."""
    evidence: dict[str, float] = field(default_factory=dict)
    statements: tuple[tuple[str, str], ...] = ()
    """The statement in other languages: (language, text)."""

    @property
    def broke(self) -> bool:
        return self.holds is False

    def statement_in(self, lang: str) -> str:
        """The statement in ``lang`` when the experiment wrote one, else the default one."""
        return dict(self.statements).get(lang, self.statement)


@dataclass(frozen=True)
class ClaimCheck:
    """One claim checked over every seed of a paper's experiment, and under its controls."""

    statement: str
    """The statement as the first seed's run phrased it (with that run's numbers)."""
    holds_in: int
    """Number of seeds in which the claim held."""
    n_seeds: int
    evidence: tuple[dict[str, float], ...] = ()
    """The deciding numbers, one mapping per seed."""
    id: str = ""
    kind: str = "finding"
    """'finding', or 'baseline' (the baseline beat the trivial predictor)."""
    baseline: str = ""
    """The id of the baseline claim this comparison rests on."""
    controls: tuple[ControlCheck, ...] = ()
    """The declared controls that must break this claim."""
    statements: tuple[tuple[str, str], ...] = ()
    """The statement in other languages: (language, text), from the first seed's run."""

    def statement_in(self, lang: str) -> str:
        """The statement in ``lang`` when the experiment wrote one, else the default one."""
        return dict(self.statements).get(lang, self.statement)

    @property
    def reproduced(self) -> bool:
        return self.n_seeds > 0 and self.holds_in == self.n_seeds

    @property
    def tested(self) -> bool:
        """Some control is declared to break this claim."""
        return bool(self.controls)

    @property
    def control_failed(self) -> bool:
        """A control under which the claim still holds: the claim does not show the mechanism."""
        return any(c.holds is True for c in self.controls)

    @property
    def is_evidence(self) -> bool:
        """Reproduced on every seed, and broken by every control declared against it."""
        return self.reproduced and self.tested and all(c.broke for c in self.controls)

    def spread(self) -> list[tuple[str, float, float, float]]:
        """(name, mean, min, max) of each deciding number across the seeds."""
        out = []
        for name in self.evidence[0] if self.evidence else ():
            values = [e[name] for e in self.evidence if name in e]
            if values:
                out.append((name, sum(values) / len(values), min(values), max(values)))
        return out


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


def series_numbers(site: Site) -> dict[str, int]:
    """slug -> k, its position in its year's series (`ML-Collage [k]`).

    The year's total is not part of it: a paper added in March must not re-number, re-draw or
    re-key February's slides."""
    by_year: dict[str, list[Paper]] = {}
    for digest in sorted(site.digests, key=lambda d: d.month):
        by_year.setdefault(digest.month[:4], []).extend(digest.papers)
    out = {}
    for papers in by_year.values():
        for i, paper in enumerate(papers, start=1):
            out[paper.slug] = paper.number or i
    return out
