"""Client-side search: the site's papers and digests as small script files, one per year.

The browser indexes them with MiniSearch (vendored in `templates/assets/vendor/`) the first time
the search box is used. The files are scripts rather than JSON so that search also works on a
site opened from disk (browsers refuse `fetch` from `file://` pages, not `<script src>`).

Why not a prebuilt index (Pagefind, lunr): both rebuild the whole index on every build, a cost
that grows with the archive (Pagefind took 3.8 CPU s of an 8.8 s cold build at 1000 entries) and
that an edit of one summary pays in full. Here an edit re-renders and rewrites one year's file
(`Renderer.search_files` keys each like a page); the others are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from mlcollage.i18n import Catalog
from mlcollage.model import Digest, Paper
from mlcollage.text import plain_text, venue_line

SEARCH_DIR = "search"
INDEX_FILE = f"{SEARCH_DIR}/index.js"
"""Lists the year files (with a content hash, so a browser refetches only those that changed)."""


def paper_document(paper: Paper, digest: Digest, summary_html: str) -> dict[str, str]:
    """A paper as the browser indexes it (CJK text is split into words there, by
    `Intl.Segmenter`: the file keeps the text as written)."""
    text = plain_text(summary_html)
    if paper.takeaways:
        text += " " + " ".join(paper.takeaways)
    return {
        "url": paper.url,
        "title": paper.title,
        "authors": ", ".join(paper.authors),
        "tags": " ".join(paper.tags),
        "where": f"{digest.title} · {venue_line(paper.venue, paper.year)}",
        "text": text,
    }


def digest_document(
    digest: Digest, intro_html: str, outro_html: str, messages: Catalog | None = None
) -> dict[str, str]:
    papers = "; ".join(p.title for p in digest.papers)
    m = messages or Catalog("en")
    n = len(digest.papers)
    return {
        "url": f"{digest.month}/",
        "title": digest.title,
        "authors": "",
        "tags": "",
        "where": m.t("Digest · %(papers)s", papers=m.nt("%(num)d paper", "%(num)d papers", n)),
        "text": " ".join(filter(None, [plain_text(intro_html), papers, plain_text(outro_html)])),
    }


def _script(call: str, payload: object) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # `</` cannot close a <script> element from inside a string, and U+2028/9 are valid JSON
    # but not valid JavaScript before ES2019: escape both.
    body = body.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"mlcollageSearch.{call}({body});\n".encode()


def by_year(digests: Iterable[Digest]) -> dict[str, list[Digest]]:
    """Digests grouped by year, newest year first: one search file each."""
    out: dict[str, list[Digest]] = {}
    for digest in sorted(digests, key=lambda d: d.month, reverse=True):
        out.setdefault(digest.month[:4], []).append(digest)
    return out


def year_script(
    digests: Iterable[Digest], html: Callable[[str, str], str], messages: Catalog | None = None
) -> bytes:
    """One year's search file; ``html(kind, markdown)`` converts a text (the build's cache)."""
    docs = []
    for digest in digests:
        intro, outro = html("intro", digest.intro_md), html("outro", digest.outro_md)
        docs.append(digest_document(digest, intro, outro, messages))
        docs += [paper_document(p, digest, html("paper", p.summary_md)) for p in digest.papers]
    return _script("add", docs)


def index_script(versions: dict[str, str]) -> bytes:
    """`search/index.js`: the year files (``{path: version}``), with the version as a query,
    so that a browser fetches a year file again only when it changed."""
    names = [f"{path.removeprefix(SEARCH_DIR + '/')}?v={v}" for path, v in versions.items()]
    return _script("files", names)
