"""Check that every internal link and image in a built site resolves to a file."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src")}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            if (tag, name) in LINK_ATTRS:
                self.links.append((self.getpos()[0], value))
            if name in ("srcset",) and tag in ("img", "source"):
                for part in value.split(","):
                    if part.strip():
                        self.links.append((self.getpos()[0], part.split()[0]))


def check_links(site: Path, skip: tuple[str, ...] = ("404.html",)) -> list[str]:
    """`page:line: broken link 'x'` for every internal link that does not resolve."""
    site = Path(site)
    problems = []
    pages = {p: _parse(p) for p in sorted(site.rglob("*.html"))}
    for page, parsed in pages.items():
        rel_page = page.relative_to(site).as_posix()
        if rel_page in skip:
            continue
        for line, url in parsed.links:
            target = _resolve(page, url)
            if target is None:
                continue
            path, fragment = target
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file() or site.resolve() not in (
                path.resolve(),
                *path.resolve().parents,
            ):
                problems.append(f"{page}:{line}: broken link {url!r}; expected a file in the site")
            elif fragment and path.suffix == ".html":
                ids = pages[path].ids if path in pages else _parse(path).ids
                if fragment not in ids:
                    problems.append(f"{page}:{line}: broken anchor {url!r}; no id '{fragment}'")
    return problems


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _resolve(page: Path, url: str) -> tuple[Path, str] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("#", "mailto:")) or not parts.path:
        if url.startswith("#") and len(url) > 1:
            return page, url[1:]
        return None
    if parts.path.startswith("/"):
        return None  # absolute paths are for 404.html only; checked by the browser tests
    return (page.parent / unquote(parts.path)), parts.fragment
