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


_WIDE_RE = re.compile(r"[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
                      r"\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")
"""Wide (CJK) characters: Han, kana, Hangul, CJK punctuation and full-width forms."""


def is_wide(char: str) -> bool:
    return bool(_WIDE_RE.match(char))


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
