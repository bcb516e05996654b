"""Shared test helpers: an in-process `run_cli`, and a copy of the fixture project to build."""

from __future__ import annotations

import contextlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlcollage.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
FIXTURE_SITE = DATA / "site"
EXPECTED = DATA / "expected"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str | Path) -> CliResult:
    """Run `mlcollage ARGS` in this process, like httpie's `http()` test helper."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return CliResult(code, out.getvalue(), err.getvalue())


def build(project: Path, *flags: str | Path, code: int = 0) -> CliResult:
    """`mlcollage build -C project FLAGS`, asserting its exit code (shown with stderr if not)."""
    result = run_cli("build", "-C", project, *flags)
    assert result.code == code, result.err
    return result


def ran(result: CliResult) -> set[str]:
    """Slugs whose experiment ran in this build (from the progress lines)."""
    return {
        line.split()[2]
        for line in result.err.splitlines()
        if " ran " in line and line.startswith("[")
    }


I18N_OVERLAY = DATA / "site-i18n"
"""Laid over the fixture site: two languages, one translated month and paper."""
I18N_EXPECTED = DATA / "expected-i18n"


def make_project(dest: Path, site: Path = FIXTURE_SITE, overlay: Path | None = None) -> Path:
    """A project folder: the fixture site_src (with ``overlay``'s files over it), the real
    templates, an empty figures/."""
    shutil.copytree(site, dest / "site_src", ignore=shutil.ignore_patterns("__pycache__"))
    if overlay is not None:
        shutil.copytree(overlay, dest / "site_src", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("README.md"))
    shutil.copytree(REPO / "templates", dest / "templates")
    (dest / "figures").mkdir()
    return dest




def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


ALPHA = "site_src/2020-01/alpha-2019-toy"
"""The fixture paper with the toy linear-regression experiment."""
GAMMA = "site_src/2019-12/gamma-2019-old"
"""The fixture paper with the toy Monte-Carlo experiment."""


def replace_run(project: Path, body: str, front: str = "") -> None:
    """Replace the toy experiment's `run` with ``body``; optionally add front-matter lines."""
    path = project / ALPHA / "experiment.py"
    src = path.read_text()
    start, end = src.index("def run("), src.index("# ----", src.index("def run("))
    path.write_text(src[:start] + body + "\n\n" + src[end:])
    if front:
        index = project / ALPHA / "index.md"
        index.write_text(index.read_text().replace("takeaways:", front + "takeaways:", 1))
