"""Plain-text helpers shared by the slide and the pages: one rule each for text, venue, authors."""

from __future__ import annotations

import html
import re
from functools import lru_cache

_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|div|li|ul|ol|h[1-6]|br|hr|pre|blockquote|table|tr|td|th|dl|dt|dd|figure|figcaption"
    r"|section|math)\b[^>]*>"
)
_TAG_RE = re.compile(r"<[^>]+>")


@lru_cache(maxsize=1024)  # a summary's text is wanted by its page, the search file, the slide
def plain_text(html_text: str) -> str:
    """The text of an HTML fragment, whitespace collapsed (for descriptions and alt text)."""
    # block tags separate words; inline ones (a, em, code, MathML tokens) do not: "[x](u)." -> "x."
    text = _TAG_RE.sub("", _BLOCK_TAG_RE.sub(" ", html_text))
    return " ".join(html.unescape(text).split())


def shorten(text: str, limit: int = 200) -> str:
    """Cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    if is_wide(text[limit - 1]):  # CJK: any character boundary is a word boundary
        return text[: limit - 1].rstrip("，；：、,;:") + "…"
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


_WIDE = ((0x1100, 0x11FF), (0x2E80, 0xA4CF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
         (0xFE30, 0xFE4F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x20000, 0x3FFFD))
"""Wide (CJK) characters: Han, kana, Hangul, CJK punctuation and full-width forms (code point
ranges, not a regex: compiling that character class cost ~6 ms of every process's start)."""


def is_wide(char: str) -> bool:
    code = ord(char)
    return code >= 0x1100 and any(low <= code <= high for low, high in _WIDE)


def venue_line(venue: str, year: int) -> str:
    """'ICML 2019'; a venue that already names a year (ICLR 2021 for a 2020 preprint) is kept."""
    return venue if re.search(r"\b(19|20)\d\d\b", venue) else f"{venue} {year}".strip()


def authors_short(
    authors: tuple[str, ...], limit: int = 3, and_: str = " and ", et_al: str = " et al."
) -> str:
    """'A, B and C', or 'A, B, C et al.' past ``limit`` (``and_``/``et_al`` per language)."""
    if len(authors) > limit:
        return ", ".join(authors[:limit]) + et_al
    if len(authors) <= 1:
        return "".join(authors)
    return ", ".join(authors[:-1]) + and_ + authors[-1]
