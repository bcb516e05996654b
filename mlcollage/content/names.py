"""The content's naming conventions, in one place: months, slugs, tags, links, scaffold markers."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_RE = SLUG_RE
LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
"""A BCP 47 language tag: 'en', 'zh-CN', 'pt-BR', 'zh-Hant'; also `index.<lang>.md`."""
TODO = "TODO:"
"""Marks the text `mlcollage new` leaves for the author to replace (a warning until then)."""
PAPERS_MARKER = "<!-- papers -->"


def link_ok(url: str) -> bool:
    """http(s) URLs and relative paths only: no javascript:, data:, file: ..."""
    if not isinstance(url, str) or not url.strip() or any(c in url for c in "\n\r\t"):
        return False
    parts = urlsplit(url.strip())
    if parts.scheme:
        return parts.scheme in ("http", "https") and bool(parts.netloc)
    return not url.strip().startswith("//")



def ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
