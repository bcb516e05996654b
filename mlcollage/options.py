"""What a verb was asked to do: `Options` (shared by every verb), typed verb arguments, exit codes.

A leaf module: it imports nothing of mlcollage, so every step can take `Options` without
depending on the CLI that builds it (mkdocs' `config/defaults.py` to its `__main__.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
"""0 ok; 1 the build failed (an experiment, or a claim under --strict); 2 bad input or usage."""

Mode = Literal["quick", "full"]
STATE_DIR = ".mlcollage"
"""The disposable build state beside site_src/ (see mlcollage.state)."""


def packaged_theme() -> Path:
    """The default theme: `mlcollage/theme/` in an installed wheel or sdist (setuptools packages
    the repository's top-level templates/ there), templates/ beside the package in a checkout."""
    here = Path(__file__).resolve().parent
    inside = here / "theme"
    return inside if inside.is_dir() else here.parent / "templates"


@dataclass(frozen=True)
class Options:
    """Everything the build (and the verbs that share its flags) needs, resolved from the flags."""

    project: Path = Path(".")
    """Project root holding site_src/, templates/, figures/."""
    out: Path | None = None
    """Output folder (default: <project>/_site)."""
    quick: bool = False
    """Run experiments in quick mode; results kept apart from full ones."""
    only: tuple[str, ...] = ()
    """Run (and draw) only these paper slugs; the others use their frozen results."""
    force: bool = False
    """Re-run experiments even when their frozen result is current."""
    rerun_versions: bool = False
    """Also re-run the results produced with other versions of mlcollage, torch or numpy than
    the installed ones (they stay current without it: versions are provenance, not key)."""
    jobs: int = 0
    """Worker processes (0: one per core)."""
    keep_going: bool = False
    """Publish even when an experiment failed (shown as failed, last good result marked stale)."""
    strict: bool = False
    """A claim that does not hold, or a warning, fails the build."""
    timeout: float = 600.0
    """Seconds per experiment unless its front matter says otherwise."""
    drafts: bool = False
    """Include drafts."""
    future: bool = False
    """Include digests dated in the future."""
    no_cache: bool = False
    """Ignore `.mlcollage/` (build manifest, Markdown, load and slide-key memos): rebuild and
    rewrite everything."""
    no_run: bool = False
    """Never run experiments: publish frozen results, fail on stale ones (CI publishing)."""
    base_url: str = ""
    """Override site.yaml's base_url (e.g. for a GitHub Pages sub-path)."""
    verbosity: int = 0
    """-1 (-q): only warnings and errors; 0: progress, the timing table, a summary line;
    1 (-v): also each experiment run's state before the build runs anything."""
    executor: str = "local"
    """Where experiments run: an engine of `mlcollage.run.engines.ENGINES` ('local', 'dask',
    'dask://HOST:PORT', 'slurm', 'submitit-local')."""

    @property
    def mode(self) -> Mode:
        """'quick' or 'full': which results the build runs, reads and shows."""
        return "quick" if self.quick else "full"

    @property
    def src(self) -> Path:
        return self.project / "site_src"

    @property
    def templates(self) -> Path:
        """The site's own templates/: each file in it overrides the packaged theme's."""
        return self.project / "templates"

    @property
    def theme(self) -> tuple[Path, ...]:
        """Where templates and assets are looked up, first match wins: the site's templates/,
        then the packaged default theme (file by file, like MkDocs' custom_dir)."""
        own = self.templates
        theme = packaged_theme()
        if own.is_dir() and own.resolve() != theme.resolve():
            return (own, theme)
        return (theme,)

    @property
    def figures(self) -> Path:
        return self.project / "figures"

    @property
    def state_dir(self) -> Path:
        return self.project / STATE_DIR

    @property
    def out_dir(self) -> Path:
        return self.out if self.out is not None else self.project / "_site"


@dataclass(frozen=True)
class NewArgs:
    """`mlcollage new MONTH ...`: the paper to scaffold."""

    month: str
    """The digest month, YYYY-MM."""
    title: str = ""
    authors: str = ""
    """Authors separated by ';'."""
    year: int | None = None
    venue: str = ""
    arxiv: str = ""
    bibtex: Path | None = None
    """Read title, authors and year from this .bib file instead."""
    slug: str = ""
    """Folder name (default: surname-year-short-title)."""
    experiment: bool = True
    """Create a starter experiment.py."""


@dataclass(frozen=True)
class ServeArgs:
    """`mlcollage serve`: where to listen."""

    host: str = "127.0.0.1"
    port: int = 8000
    """0 picks a free port."""
    open: bool = False
    """Open the site in a web browser once it is served."""


@dataclass(frozen=True)
class ListArgs:
    """`mlcollage list`: which papers (no filter: every paper a build publishes)."""

    drafts: bool = False
    """Only drafts."""
    future: bool = False
    """Only papers of digests dated in the future."""
    stale: bool = False
    """Only papers whose frozen results are stale or missing."""


@dataclass(frozen=True)
class InitArgs:
    """`mlcollage init [DIR]`: where to start a site."""

    folder: Path = Path(".")
    """The new site's folder: absent or empty."""


@dataclass(frozen=True)
class CheckArgs:
    """`mlcollage check`: what else to check."""

    links: bool = False
    """Also check every internal link and image of the built site."""
    slides: Path | None = None
    """Also write a contact sheet per month (every slide at thumbnail size) into this folder,
    and report the legibility findings each slide recorded when it was drawn."""
