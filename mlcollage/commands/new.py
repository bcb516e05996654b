"""`mlcollage new`: flags or BibTeX -> an `Entry` -> a scaffolded paper folder (offline)."""

from __future__ import annotations

import dataclasses
import sys

from mlcollage.commands import no_site
from mlcollage.options import EXIT_INPUT, EXIT_OK, NewArgs, Options


def run(opts: Options, a: NewArgs) -> int:
    if (missing := no_site(opts)) is not None:
        return missing
    from mlcollage.content.bibtex import parse_bibtex
    from mlcollage.content.scaffold import Entry, ScaffoldError, create_entry, year_from_arxiv

    try:
        if a.bibtex:
            try:
                text = a.bibtex.read_text(encoding="utf-8")
            except OSError as exc:
                raise ScaffoldError(
                    f"{a.bibtex}: cannot read ({exc.strerror}); expected a .bib file"
                ) from None
            entry = parse_bibtex(text, str(a.bibtex))
        else:
            if not a.title or not a.authors:
                raise ScaffoldError("--title and --authors are required (or --bibtex FILE)")
            authors = tuple(x.strip() for x in a.authors.split(";") if x.strip())
            year = a.year or year_from_arxiv(a.arxiv) or int(a.month[:4])
            entry = Entry(" ".join(a.title.split()), authors, year, a.venue, a.arxiv)
        if a.arxiv and not entry.arxiv:
            entry = dataclasses.replace(entry, arxiv=a.arxiv)
        folder, written = create_entry(opts.src, a.month, entry, a.slug, experiment=a.experiment)
    except ScaffoldError as exc:
        print(f"mlcollage: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for path in written:
        print(f"created {path}")
    print(f"next: edit {folder / 'index.md'}, then `mlcollage serve` to preview")
    return EXIT_OK
