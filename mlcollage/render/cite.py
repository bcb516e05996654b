"""Citations: BibTeX for a paper and for a digest, and Google Scholar `citation_*` meta tags."""

from __future__ import annotations

import re

from mlcollage.content.names import ascii_slug
from mlcollage.model import Digest, Paper, SiteConfig

JOURNAL_WORDS = re.compile(
    r"journal|nature|transactions|letters|review|science|proceedings of the", re.IGNORECASE
)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\textbackslash{}")
        .replace("{", "\\{")
        .replace("}", "\\}")
        .replace("&", "\\&")
        .replace("%", "\\%")
        .replace("#", "\\#")
        .replace("_", "\\_")
    )


def cite_key(paper: Paper) -> str:
    surname = ascii_slug(paper.authors[0].split()[-1]).replace("-", "") if paper.authors else "anon"
    words = [w for w in ascii_slug(paper.title).split("-") if len(w) > 3]
    return f"{surname}{paper.year}{words[0] if words else ''}"


def is_journal(venue: str) -> bool:
    return bool(JOURNAL_WORDS.search(venue))


def paper_bibtex(paper: Paper) -> str:
    fields = [
        ("title", "{" + _escape(paper.title) + "}"),
        ("author", " and ".join(_escape(a) for a in paper.authors)),
        ("year", str(paper.year)),
    ]
    if paper.venue and is_journal(paper.venue):
        kind = "article"
        fields.append(("journal", _escape(re.sub(r"\s*\(.*\)$", "", paper.venue))))
    elif paper.venue:
        kind = "inproceedings"
        fields.append(("booktitle", _escape(paper.venue)))
    else:
        kind = "misc"
    if paper.arxiv:
        fields += [("eprint", paper.arxiv), ("archivePrefix", "arXiv")]
    url = dict(paper.links).get("paper")
    if url and url.startswith("http"):
        fields.append(("url", url))
    body = ",\n".join(f"  {name:<13} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{cite_key(paper)},\n{body}\n}}"


def digest_bibtex(digest: Digest, config: SiteConfig) -> str:
    key = ascii_slug(config.title).replace("-", "") + digest.month.replace("-", "")
    fields = [
        ("title", "{" + _escape(digest.title) + "}"),
        ("author", _escape(config.author)),
        ("year", str(digest.date.year)),
        ("month", digest.date.strftime("%b").lower()),
        ("howpublished", f"\\url{{{config.base_url}{digest.url}}}"),
        (
            "note",
            _escape(f"{config.title}, {len(digest.papers)} papers with reference experiments"),
        ),
    ]
    body = ",\n".join(f"  {name:<13} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def scholar_meta(paper: Paper) -> list[tuple[str, str]]:
    """Google Scholar's `citation_*` meta tags (name, content), in their documented order."""
    meta = [("citation_title", paper.title)]
    meta += [("citation_author", a) for a in paper.authors]
    meta.append(("citation_publication_date", str(paper.year)))
    if paper.venue:
        kind = "citation_journal_title" if is_journal(paper.venue) else "citation_conference_title"
        meta.append((kind, paper.venue))
    if paper.arxiv:
        meta += [
            ("citation_arxiv_id", paper.arxiv),
            ("citation_pdf_url", f"https://arxiv.org/pdf/{paper.arxiv}"),
        ]
    url = dict(paper.links).get("paper")
    if url and url.startswith("http"):
        meta.append(("citation_abstract_html_url", url))
    return meta
