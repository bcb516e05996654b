"""`mlcollage new`: scaffold a paper entry (and its month) from flags or BibTeX (`bibtex.py`).

Offline: nothing is fetched."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from mlcollage.content.names import MONTH_RE, TODO, ascii_slug

TEMPLATE = Path(__file__).with_name("skeletons") / "experiment.py.tmpl"
"""Prefix of scaffold text still to be written; `mlcollage check --strict` reports it."""
STOPWORDS = {
    "a",
    "an",
    "the",
    "of",
    "on",
    "in",
    "for",
    "and",
    "to",
    "with",
    "via",
    "by",
    "from",
    "at",
    "is",
    "are",
    "towards",
    "toward",
    "how",
    "what",
    "why",
    "do",
    "does",
    "can",
}


class ScaffoldError(Exception):
    """Bad `new` arguments; the CLI exits 2."""


@dataclass(frozen=True)
class Entry:
    title: str
    authors: tuple[str, ...]
    year: int
    venue: str = ""
    arxiv: str = ""
    links: tuple[tuple[str, str], ...] = ()
    """(name, URL): from BibTeX's url (paper) and doi; an arXiv id adds the abstract's."""


def make_slug(entry: Entry, words: int = 2) -> str:
    """`<surname>-<year>-<short-title>`: first author's surname, two significant title words."""
    surname = ascii_slug(entry.authors[0].split()[-1]) if entry.authors else "anon"
    significant = [w for w in ascii_slug(entry.title).split("-") if w and w not in STOPWORDS]
    if not surname:  # a name in another script (张伟, Иванов): no Latin letters to make it from
        example = "-".join(["surname", str(entry.year), *significant[:words]] or ["title"])
        raise ScaffoldError(
            f"the first author's name {entry.authors[0]!r} has no Latin letters to make the "
            f"folder name from; pass --slug with a romanised one, e.g. --slug {example}"
        )
    return "-".join([surname, str(entry.year), *significant[:words]])


def year_from_arxiv(arxiv: str) -> int | None:
    """2006.10739 -> 2020; hep-th/9901001 -> 1999."""
    m = re.match(r"^(\d{2})(\d{2})\.\d{4,5}(v\d+)?$", arxiv) or re.search(
        r"/(\d{2})(\d{2})\d{3}", arxiv
    )
    if not m:
        return None
    yy = int(m.group(1))
    return 2000 + yy if yy < 91 else 1900 + yy


# ---------------------------------------------------------------------------------------------
# writing the entry


def _yaml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def paper_index(entry: Entry) -> str:
    lines = [
        "---",
        f"title: {_yaml_str(entry.title)}",
        "authors: [" + ", ".join(_yaml_str(a) for a in entry.authors) + "]",
        f"year: {entry.year}",
    ]
    if entry.venue:
        lines.append(f"venue: {_yaml_str(entry.venue)}")
    links = dict(entry.links)
    if entry.arxiv:
        lines.append(f"arxiv: {_yaml_str(entry.arxiv)}")
        links.setdefault("paper", f"https://arxiv.org/abs/{entry.arxiv}")
    if links:
        lines += ["links:", *(f"  {name}: {_yaml_str(url)}" for name, url in links.items())]
    lines += [
        "tags: [todo]",
        "takeaways:",
        f'  - "{TODO} the paper\'s main finding, in one short line"',
        f'  - "{TODO} what it means, in one short line"',
        "# experiment: {config: {steps: 300}, seeds: [0], timeout: 600}",
        "---",
        f"{TODO} a one-paragraph summary of the paper in your own words: the question, the",
        "method, the headline result, and what the reference experiment reproduces.",
        "",
    ]
    return "\n".join(lines)


def month_index(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    last = dt.date(year, mon, calendar.monthrange(year, mon)[1])
    name = f"{calendar.month_name[mon]} {year}"
    return (
        f"---\ntitle: {_yaml_str(name + ': papers to read this month')}\n"
        f"date: {last.isoformat()}\n---\n{TODO} the digest's introduction.\n\n"
        "<!-- papers -->\n\n"
        f"{TODO} the digest's closing words.\n"
    )


def create_entry(
    src: Path, month: str, entry: Entry, slug: str = "", experiment: bool = True
) -> tuple[Path, list[Path]]:
    """Write the paper folder (and the month's index.md if missing); refuse to overwrite."""
    if not MONTH_RE.match(month):
        raise ScaffoldError(f"month '{month}' is not a month; expected YYYY-MM such as 2021-03")
    slug = slug or make_slug(entry)
    if not re.match(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", slug):
        raise ScaffoldError(
            f"slug '{slug}' is not valid; expected lowercase letters, digits, hyphens"
        )
    folder = src / month / slug
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; not overwriting it (choose --slug)")
    files = {folder / "index.md": paper_index(entry)}
    month_md = src / month / "index.md"
    if not month_md.exists():
        files[month_md] = month_index(month)
    if experiment:
        code = TEMPLATE.read_text(encoding="utf-8").replace("@TITLE@", entry.title)
        files[folder / "experiment.py"] = code
    folder.mkdir(parents=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return folder, sorted(files)
