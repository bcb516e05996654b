"""Relative links and images of Markdown written for one folder, shown on another page.

A summary's `[notes](notes.txt)` is written relative to the paper's folder; the month page, the
home page and the feed show the same HTML elsewhere. `rebase` rewrites it for a page in another
folder, `absolute` for the feed (readers resolve nothing), and `broken` finds the ones that point
at no published file, to report against the source `index.md` line at build time.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from mlcollage.model import Problem, Site

ATTR_RE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
MAYBE_RELATIVE_RE = re.compile(r'\s(?:href|src)="(?!https?:|mailto:|/|#)([^"]*)"', re.IGNORECASE)
"""The attributes `is_relative` may accept: most links are absolute and are passed over in C
(the link check runs over every text of the site on every build)."""


def is_relative(url: str) -> bool:
    """A path relative to the page: no scheme, no host, not site-absolute, not a fragment."""
    parts = urlsplit(url)
    return bool(parts.path) and not (parts.scheme or parts.netloc or url.startswith("/"))


def _rewrite(html: str, change: Callable[[str], str]) -> str:
    if 'href="' not in html and 'src="' not in html:
        return html
    return ATTR_RE.sub(lambda m: m.group(1) + change(m.group(2)) + m.group(3), html)


def rebase(html: str, prefix: str) -> str:
    """Relative URLs of ``html`` written for folder F, for a page in folder F/..`prefix`..:
    ``prefix`` is F relative to the page's folder (`slug/` on the month page)."""
    if not prefix:
        return html

    def change(url: str) -> str:
        if not is_relative(url):
            return url
        parts = urlsplit(url)
        path = posixpath.normpath(prefix + parts.path) + ("/" if parts.path.endswith("/") else "")
        return urlunsplit(("", "", path, parts.query, parts.fragment))

    return _rewrite(html, change)


def absolute(html: str, page_url: str) -> str:
    """Every relative URL of ``html`` (written for ``page_url``) made absolute."""
    return _rewrite(html, lambda url: urljoin(page_url, url) if is_relative(url) else url)


def targets(html: str) -> list[str]:
    """The relative URLs ``html`` links or shows (no query, no fragment)."""
    if 'href="' not in html and 'src="' not in html:
        return []
    return [urlsplit(url).path for url in MAYBE_RELATIVE_RE.findall(html) if is_relative(url)]


def broken(site: Site, html: Callable[[str, str], str], outputs: Collection[str],
           current: Collection[str] = ()) -> list[Problem]:
    """Relative links of summaries, intros and outros that resolve to no published file (a
    folder counts when it has an index.html), each at its source `index.md` line.

    ``current``: pages the last successful build rendered from the same inputs, when it had
    the same ``outputs`` (its links resolved then, so they still do): their texts are skipped."""
    problems = []

    def check(source: Path, folder: str, key: str, text: str) -> None:
        for target in targets(html(key, text)):
            rel = posixpath.normpath(folder + target)
            if rel in outputs or posixpath.join(rel, "index.html") in outputs:
                continue
            problems.append(Problem(source, _line(source, target),
                                    f"link '{target}' leads to no file of the site; expected a "
                                    "file beside this index.md (it is published with the page) "
                                    "or a page of the site"))

    for digest in site.digests:
        if digest.url + "index.html" not in current:
            check(digest.source, digest.url, "intro", digest.intro_md)
            check(digest.source, digest.url, "outro", digest.outro_md)
        for paper in digest.papers:
            if paper.url + "index.html" not in current:
                check(paper.source, paper.url, "paper", paper.summary_md)
    return problems


def _line(source: Path, target: str) -> int:
    """The first line of ``source``'s text (after the front matter) that names ``target``."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    fences = [i for i, line in enumerate(lines) if line.rstrip() == "---"][:2]
    start = fences[1] + 1 if len(fences) == 2 and fences[0] == 0 else 0
    return next((i + 1 for i in range(start, len(lines)) if target in lines[i]), start + 1)
