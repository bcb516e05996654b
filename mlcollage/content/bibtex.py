"""`mlcollage new --bibtex`: one BibTeX entry (a Zotero, Scholar or arXiv export) -> an `Entry`.

bibtexparser 2 reads the file (entries, `@string` macros, names); pylatexenc turns each value's
LaTeX into Unicode (`Sch\\"{o}lkopf` -> Schölkopf, `\\&` -> &, `{M}odels` -> Models), so the front
matter holds plain text and the page's "Copy BibTeX" escapes it once.
"""

from __future__ import annotations

import re
from typing import Any

from mlcollage.content.scaffold import Entry, ScaffoldError, year_from_arxiv

VENUE_BY_TYPE = {
    "phdthesis": ("PhD thesis", "school"),
    "mastersthesis": ("Master's thesis", "school"),
    "techreport": ("Technical report", "institution"),
    "book": ("Book", "publisher"),
    "misc": ("", "howpublished"),
    "unpublished": ("Unpublished", ""),
}
"""Entry type -> (the kind of venue, the field naming it) where there is no booktitle/journal."""
_CONCAT = re.compile(r'\s*(\{(?:[^{}]|\{[^{}]*\})*\}|"[^"]*"|[\w:.-]+)\s*(#|$)')


def parse_bibtex(text: str, source: str = "bibtex") -> Entry:
    """The file's one entry; several entries, none, or an unreadable one: a ScaffoldError."""
    import bibtexparser

    library = bibtexparser.parse_string(text)
    entries = library.entries
    if len(entries) > 1:
        keys = ", ".join(f"{e.key} (line {e.start_line + 1})" for e in entries)
        raise ScaffoldError(
            f"{source}: {len(entries)} entries ({keys}); expected one per `mlcollage new` "
            "(put the one you want in its own file)"
        )
    if not entries:
        where = f":{library.failed_blocks[0].start_line + 1}" if library.failed_blocks else ":1"
        raise ScaffoldError(
            f"{source}{where}: no BibTeX entry found; expected @article{{key, title = ..., ...}}"
        )
    entry = entries[0]
    line = f"{source}:{entry.start_line + 1}"
    macros = {s.key.lower(): str(s.value) for s in library.strings}
    fields = {f.key.lower(): _value(f.value, macros) for f in entry.fields}
    title = _text(fields.get("title", ""))
    authors = tuple(_name(a) for a in _persons(fields.get("author", "")))
    if not title or not authors:
        raise ScaffoldError(f"{line}: BibTeX entry {entry.key} needs title and author fields")
    arxiv = _arxiv(fields)
    year = _text(fields.get("year", ""))
    if not year.isdigit():
        year = str(year_from_arxiv(arxiv) or "")
    if not year.isdigit():
        raise ScaffoldError(
            f"{line}: BibTeX entry {entry.key} has no year; expected year = {{2020}}"
        )
    links = []
    url = fields.get("url", "").strip()
    if url.startswith(("http://", "https://")):
        links.append(("paper", url))
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", fields.get("doi", "").strip())
    if doi:
        links.append(("doi", f"https://doi.org/{doi}"))
    return Entry(title, authors, int(year), _venue(entry.entry_type.lower(), fields, arxiv),
                 arxiv, tuple(links))


def _value(value: Any, macros: dict[str, str]) -> str:
    """A field's text with `@string` macros and `#` concatenation resolved (bibtexparser 2
    resolves a value that is one macro, not `neurips # " 2020"`)."""
    text = str(value)
    if "#" not in text:
        return text
    parts, i = [], 0
    while i < len(text):
        m = _CONCAT.match(text, i)
        if not m or m.end() == i:
            return text  # not a concatenation after all (a '#' inside the text)
        part = m.group(1)
        if part[0] in '{"':
            parts.append(part[1:-1])
        else:
            parts.append(macros.get(part.lower(), part))
        i = m.end()
    return "".join(parts)


def _text(value: str) -> str:
    """LaTeX -> Unicode, whitespace collapsed."""
    from pylatexenc.latex2text import LatexNodes2Text

    return " ".join(LatexNodes2Text().latex_to_text(value).split())


def _persons(value: str) -> list[str]:
    from bibtexparser.middlewares.names import split_multiple_persons_names

    return [p for p in split_multiple_persons_names(value) if p.strip()]


def _name(person: str) -> str:
    """'Sch\\"{o}lkopf, Bernhard' -> 'Bernhard Schölkopf'; 'van der Maaten, L.' -> 'L. van der
    Maaten'."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    try:
        p = parse_single_name_into_parts(person)
        name = " ".join(x for x in (*p.first, *p.von, *p.last) if x)
        name += "".join(f", {j}" for j in p.jr)
    except Exception:  # noqa: BLE001 - an odd name is kept as written rather than refused
        name = person
    return _text(name)


def _arxiv(fields: dict[str, str]) -> str:
    eprint = _text(fields.get("eprint", ""))
    if eprint and fields.get("archiveprefix", "arxiv").lower() == "arxiv":
        return re.sub(r"^arXiv:", "", eprint, flags=re.IGNORECASE)
    for name in ("url", "journal"):
        m = re.search(r"arxiv(?:\.org/abs/|:)\s*(\d{4}\.\d{4,5})", fields.get(name, ""), re.I)
        if m:
            return m.group(1)
    return ""


def _venue(kind: str, fields: dict[str, str], arxiv: str) -> str:
    """booktitle or journal; else the entry type's kind of venue (thesis, report, preprint)."""
    named = _text(fields.get("booktitle") or fields.get("journal") or "")
    if named and not re.match(r"^arxiv(\s+preprint)?", named, re.I):
        return named
    if arxiv or named:
        return "arXiv preprint"
    label, field = VENUE_BY_TYPE.get(kind, ("", ""))
    where = _text(fields.get(field, "")) if field else ""
    return ", ".join(x for x in (label, where) if x)
