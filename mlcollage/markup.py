"""Markdown to HTML for summaries and digest texts (one configured converter, reused)."""

from __future__ import annotations

import html
import re

import markdown

EXTENSIONS = ["extra", "sane_lists"]
_TAG_RE = re.compile(r"<[^>]+>")


class Markup:
    """A reusable Markdown converter (building one per document costs more than converting)."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")

    def __call__(self, text: str) -> str:
        self._md.reset()
        return self._md.convert(text)


def plain_text(html_text: str) -> str:
    """The text of an HTML fragment, whitespace collapsed (for descriptions and alt text)."""
    return " ".join(html.unescape(_TAG_RE.sub(" ", html_text)).split())


def shorten(text: str, limit: int = 200) -> str:
    """Cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def venue_line(venue: str, year: int) -> str:
    """'ICML 2019'; a venue that already names a year (ICLR 2021 for a 2020 preprint) is kept."""
    return venue if re.search(r"\b(19|20)\d\d\b", venue) else f"{venue} {year}".strip()
