"""`mlcollage init`: the starter site (skeletons/new-site/) written into a new folder. Offline.

The example paper's results are frozen in the package (skeletons/new-site/figures/, made by
running the starter: `python scripts/freeze_starter.py`), so `mlcollage build --no-run` works
right after `init` on a machine without torch; `tests/test_init.py` checks that their keys
match the experiment `init` writes, so an edit to the starter cannot leave them behind.
"""

from __future__ import annotations

import calendar
import datetime as dt
import shutil
from pathlib import Path

from mlcollage.content.scaffold import ScaffoldError

SKELETON = Path(__file__).with_name("skeletons") / "new-site"  # not a name Python imports
FROZEN = SKELETON / "figures"
"""The example's frozen results, laid out like a paper's folder in figures/."""
SLUG_PREFIX = "example"


def starter_files(month: str, slug: str) -> dict[str, Path]:
    """Destination (relative to the new site) -> skeleton file."""
    out = {
        "site_src/site.yaml": SKELETON / "site.yaml",
        f"site_src/{month}/index.md": SKELETON / "month.md",
        f"site_src/{month}/{slug}/index.md": SKELETON / "paper" / "index.md",
        f"site_src/{month}/{slug}/experiment.py": SKELETON / "paper" / "experiment.py.tmpl",
        ".gitignore": SKELETON / "gitignore",
        ".github/workflows/pages.yml": SKELETON / "github" / "workflows" / "pages.yml",
        "README.md": SKELETON / "README.md",
    }
    for path in sorted(FROZEN.rglob("*")):
        if path.is_file():
            out[f"figures/{month}/{slug}/{path.relative_to(FROZEN).as_posix()}"] = path
    return out


def create_site(folder: Path, version: str, today: dt.date | None = None) -> list[Path]:
    """Write a site that builds at once into ``folder`` (absent or empty); never overwrite."""
    today = today or dt.date.today()
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} is a file; expected a folder for the new site")
    if folder.is_dir() and any(folder.iterdir()):
        raise ScaffoldError(
            f"{folder} is not empty; not overwriting anything "
            "(choose a new folder: `mlcollage init mysite`)"
        )
    month = f"{today.year}-{today.month:02d}"
    slug = f"{SLUG_PREFIX}-{today.year}-gradient-descent"
    words = {
        "@MONTH@": month,
        "@MONTH_NAME@": f"{calendar.month_name[today.month]} {today.year}",
        "@DATE@": today.isoformat(),  # today, not the month's end: a future digest is left out
        "@YEAR@": str(today.year),
        "@SLUG@": slug,
        "@TITLE@": "My ML digest",
        "@VERSION@": version,
    }
    written = []
    for rel, src in starter_files(month, slug).items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix in (".md", ".yaml", ".yml") or src.name == "gitignore":
            text = src.read_text(encoding="utf-8")
            for word, value in words.items():
                text = text.replace(word, value)
            dest.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(src, dest)  # experiment.py byte for byte: its result's key hashes it
        written.append(dest)
    return written
