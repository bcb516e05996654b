"""Render a `Site` with Jinja2 into files: pages, feed, sitemap, robots, 404 (no disk writes)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from mlcollage.draw.step import DIGEST_PDF
from mlcollage.files import content_hash
from mlcollage.i18n import Catalog, catalog
from mlcollage.model import (
    Digest,
    InputError,
    Outcome,
    Paper,
    PaperImages,
    Problem,
    Site,
    repr_hash,
    series_numbers,
)
from mlcollage.render import pool, search
from mlcollage.render.cite import digest_bibtex, paper_bibtex, scholar_meta
from mlcollage.render.links import absolute, rebase
from mlcollage.render.markdown import Markup, pygments_css
from mlcollage.render.publish import ASSET_DIR, fresh_folder, write_files
from mlcollage.state.memo import RACY_NS, code_key
from mlcollage.text import authors_short, plain_text, shorten, venue_line

HOME_DIGESTS = 12
"""Digests shown with their cards on the home page; all of them are listed on digests/."""
FEED_DIGESTS = 20
"""Newest digests in the Atom feed."""
PAGE_SECONDS = 0.6e-3
"""What rendering one paper's page costs (Jinja2 and the page's view), the unit of
`Renderer.tasks`' estimates: the N=1000 bench corpus renders ~3200 units in ~1.9 CPU s."""


@dataclass
class RenderInput:
    """Everything `render_pages` needs besides the site: per-slug outcomes and images."""

    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    images: Mapping[str, PaperImages] = field(default_factory=dict)
    digest_pdfs: Mapping[str, str] = field(default_factory=dict)  # month -> file name
    caveats: Mapping[str, str] = field(default_factory=dict)  # slug -> what the run does not show
    extra_head: str = ""  # serve mode's live-reload script; never in a published build


def environment(
    template_dir: Path | Sequence[Path], bytecode_dir: Path | None = None,
    messages: Catalog | None = None,
) -> jinja2.Environment:
    """The Jinja2 environment in one language (``messages``, English when None): `_()` and
    `ngettext()` from the catalog; compiled templates are kept in ``bytecode_dir`` when given.

    ``template_dir``: one folder, or the search path of `Options.theme` (a site's own
    templates/ first: its files override the packaged theme's, one by one)."""
    if bytecode_dir is not None:
        bytecode_dir.mkdir(parents=True, exist_ok=True)
    messages = messages or Catalog("en")
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader([str(d) for d in _dirs(template_dir)]),
        bytecode_cache=bytecode_dir and jinja2.FileSystemBytecodeCache(str(bytecode_dir)),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["authors_short"] = lambda a: authors_short(
        a, and_=messages.gettext(" and "), et_al=messages.gettext(" et al."))
    env.filters["isodate"] = lambda d: d.isoformat()
    env.install_gettext_callables(messages.gettext, messages.ngettext, newstyle=True)
    _direct_gettext(env, messages)
    env.globals["lang"] = messages.lang
    env.filters["longdate"] = messages.date
    env.filters["number"] = format_number
    env.filters["venue"] = lambda paper: venue_line(paper.venue, paper.year)
    return env


def _direct_gettext(env: jinja2.Environment, messages: Catalog) -> None:
    """Jinja2's newstyle `_`, `gettext` and `ngettext`, called in one step: its own go through
    the context's `call` two or three times per message (`_` -> `gettext` -> the catalog), ~5 %
    of a cold build's page rendering for ~20 messages a page. Same semantics: the text marked
    safe under autoescape, then always formatted with the keywords (``num`` for plurals)."""
    @jinja2.pass_eval_context
    def gettext(eval_ctx: Any, __string: str, **variables: Any) -> str:
        rv = messages.gettext(__string)
        return (markupsafe.Markup(rv) if eval_ctx.autoescape else rv) % variables

    @jinja2.pass_eval_context
    def ngettext(eval_ctx: Any, __singular: str, __plural: str, __num: int,
                 **variables: Any) -> str:
        variables.setdefault("num", __num)
        rv = messages.ngettext(__singular, __plural, __num)
        return (markupsafe.Markup(rv) if eval_ctx.autoescape else rv) % variables

    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def format_number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class Renderer:
    """Turns the model into `{relative path: bytes}`; pure apart from reading templates."""

    def __init__(
        self,
        site: Site,
        template_dir: Path | Sequence[Path],
        extra: RenderInput | None = None,
        markup: Markup | None = None,
        previous: Mapping[str, str] | None = None,
        previous_files: Mapping[str, str] | None = None,
        bytecode_dir: Path | None = None,
        messages: Catalog | None = None,
        languages: tuple[tuple[str, str, str], ...] = (),
        originals: Mapping[str, Paper] | None = None,
    ):
        """``site`` in one language (its tree under ``site.prefix``); ``messages`` its catalog;
        ``languages``: (tag, own name, tree prefix) of every language, for the switcher and
        the hreflang alternates (none for a one-language site)."""
        self.site = site
        self.messages = messages or Catalog(site.config.language)
        self.env = environment(template_dir, bytecode_dir, self.messages)
        self.prefix = site.prefix
        self.languages = languages
        self.originals = originals or {}
        """slug -> the paper in the default language: citations name the paper as published."""
        self.env.globals["default_language"] = site.default_language
        self.env.globals["default_language_name"] = (
            self.messages.language_name(site.default_language) if languages else "")
        self.extra = extra or RenderInput()
        self.md = markup or Markup()
        self.site_base = site.config.base_url
        self.base = self.site_base + self.prefix
        self.base_path = urlsplit(self.site_base).path or "/"
        self.messages_json = js_messages(template_dir, self.messages)
        self.numbers = series_numbers(site)
        self._html: dict[tuple[str, str], str] = {}
        self.previous = previous or {}  # page keys of the last build
        self.previous_files = previous_files or {}  # content hashes of the last build's files
        self.keys: dict[str, str] = {}
        fixed = (_templates_hash(template_dir), site.config, self.extra.extra_head, code_key(),
                 self.messages.key, languages)
        self.fixed = repr_hash(fixed)  # code_key: mlcollage's code and Markdown & co. versions
        self._paper_keys: dict[str, str] = {}
        self._cards: dict[str, Card] = {}
        self._views: dict[str, dict[str, Any]] = {}

    # -- helpers -------------------------------------------------------------------------------

    def authors(self, authors: tuple[str, ...]) -> str:
        """'A, B and C' in the page's language."""
        return authors_short(authors, and_=self.messages.gettext(" and "),
                             et_al=self.messages.gettext(" et al."))

    def html(self, key: str, text: str) -> str:
        if (key, text) not in self._html:
            self._html[(key, text)] = self.md(text)
        return self._html[(key, text)]

    def paper_view(self, paper: Paper) -> dict[str, Any]:
        """What templates show of a paper; made once a build (pages show a paper several times)."""
        view = self._views.get(paper.slug)
        if view is None:
            view = self._views[paper.slug] = self._paper_view(paper)
        return view

    def _paper_view(self, paper: Paper) -> dict[str, Any]:
        summary = self.html("paper", paper.summary_md)
        outcome = self.extra.outcomes.get(paper.slug)
        images = self.extra.images.get(paper.slug, PaperImages())
        k = self.numbers.get(paper.slug, 0)
        return {
            "paper": paper,
            "summary_html": summary,
            "description": shorten(plain_text(summary), 200),
            "outcome": outcome,
            "images": images,
            "series": k,
            "alt": slide_alt(paper, outcome, self.messages),
            "caveat": self.extra.caveats.get(paper.slug, ""),
            "deviations": paper.experiment.deviations if paper.experiment else (),
        }

    def rebased(self, paper: Paper, prefix: str) -> dict[str, Any]:
        """The paper's view for a page in another folder: its summary's relative links follow."""
        view = self.paper_view(paper)
        return view | {"summary_html": rebase(view["summary_html"], prefix)}

    def inputs(self, paper: Paper) -> tuple[Any, ...]:
        """Everything a paper contributes to a page, for page keys."""
        slug = paper.slug
        return (
            paper.digest,
            self.extra.outcomes.get(slug),
            self.extra.images.get(slug),
            self.extra.caveats.get(slug),
            self.numbers.get(slug),
        )

    def paper_key(self, paper: Paper) -> str:
        """A hash of `inputs(paper)`, computed once a build: pages name papers by it."""
        key = self._paper_keys.get(paper.slug)
        if key is None:
            key = self._paper_keys[paper.slug] = repr_hash(self.inputs(paper))
        return key

    def unchanged(self, out: str, *parts: Any) -> bool:
        """Record the page's key; true when the last build rendered it from the same inputs."""
        key = repr_hash((self.fixed, parts))
        self.keys[self.prefix + out] = key
        return self.previous.get(self.prefix + out) == key

    def alternates(self, out: str, depth: int) -> list[dict[str, Any]]:
        """The page in every language: hreflang links and the switcher (same entry, other tree)."""
        if len(self.languages) < 2:
            return []
        up = "../" * (depth + (1 if self.prefix else 0))  # to the site's root
        page_url = out.removesuffix("index.html")
        alts = [
            {"hreflang": tag, "name": name, "absolute": self.site_base + prefix + page_url,
             "relative": up + prefix + out, "switch": prefix != self.prefix}
            for tag, name, prefix in self.languages
        ]
        default = next(a for a in alts if a["hreflang"] == self.site.default_language)
        return [*alts, {**default, "hreflang": "x-default", "switch": False}]

    def page(self, template: str, out: str, depth: int, **ctx: Any) -> tuple[str, bytes]:
        root = "../" * depth
        if self.prefix:  # another language's tree: the assets are the site's, one level up
            tree = {"asset_root": "../" * (depth + 1), "search_root": root,
                    "assets_root": "../" * (depth + 1)}
            ctx = tree | ctx
        if "alternates" not in ctx:
            ctx["alternates"] = self.alternates(out, depth)
        text = self.env.get_template(template).render(
            site=self.site,
            config=self.site.config,
            root=root,
            page_url=out.removesuffix("index.html"),
            base_url=self.base,
            extra_head=self.extra.extra_head,
            messages_json=self.messages_json,
            **ctx,
        )
        return self.prefix + out, text.encode("utf-8")

    # -- pages ---------------------------------------------------------------------------------

    def render_all(self, months: Collection[str] | None = None,
                   tags_of: Collection[str] = ()) -> dict[str, bytes | None]:
        """Every generated file; None for a page whose inputs did not change since last build.

        ``months`` (serve's quick rebuild of a prose edit in those months, whose papers, tags
        and dates are the last build's): only the pages such an edit can change, the months'
        own, the tag pages of ``tags_of``, home, archive, feed, the months' years' search files;
        every other page is the last build's (its key too)."""
        files: dict[str, bytes | None] = {}
        for task, _ in self.tasks(months, tags_of):
            files.update(task())
        return files

    def tasks(self, months: Collection[str] | None = None, tags_of: Collection[str] = ()
              ) -> list[tuple[Callable[[], dict[str, bytes | None]], float]]:
        """`render_all`'s work as independent tasks in output order, each with its estimated
        cost in seconds (`render.pool` shares them out over processes)."""
        tasks: list[tuple[Callable[[], dict[str, bytes | None]], float]] = []

        def add(weight: float, method: Callable[..., tuple[str, bytes | None]], *args: Any) -> None:
            tasks.append((lambda: dict([method(*args)]), weight * PAGE_SECONDS))

        digests = self.site.digests
        add(0.3 * sum(len(d.papers) for d in digests[:HOME_DIGESTS]), self.home)
        if len(digests) > HOME_DIGESTS:
            add(0.02 * len(digests), self.archive)
        for digest in digests:
            if months is not None and digest.month not in months:
                continue
            add(1 + len(digest.papers), self.digest_page, digest)
            for i, paper in enumerate(digest.papers):
                prev = digest.papers[i - 1] if i > 0 else None
                nxt = digest.papers[i + 1] if i + 1 < len(digest.papers) else None
                add(1, self.paper_page, digest, paper, prev, nxt)
        if months is None or tags_of:  # quick: no card changed, no tag page did
            tags = self.site.tags()
            add(1, self.tags_page, tags)
            for tag, papers in tags.items():
                if months is None or tag in tags_of:
                    add(0.3 * len(papers), self.tag_page, tag, papers)
        if months is not None:
            if self.site.config.search:
                years = {m[:4] for m in months}
                tasks.append((lambda: self.search_files(years), 0.0))
            tasks.append((lambda: {self.prefix + "feed.xml": self.feed()}, 0.0))
            return tasks
        if not self.prefix:  # one 404 page and one set of assets for every language
            tasks.append((self.not_found, PAGE_SECONDS))
        if self.site.config.search:
            tasks.append((self.search_files, 0.2 * PAGE_SECONDS * len(self.site.papers)))
        feed = sum(len(d.papers) for d in digests[:FEED_DIGESTS])
        tasks.append((lambda: {self.prefix + "feed.xml": self.feed()}, 0.2 * PAGE_SECONDS * feed))
        return tasks

    def not_found(self) -> dict[str, bytes | None]:
        """The 404 page (at any address: no alternates) and the code stylesheet."""
        title = self.messages.gettext("Page not found")
        files = dict([self.page("404.html", "404.html", 0, title=title, abs_root=self.base_path,
                                alternates=[])])
        files["assets/pygments.css"] = pygments_css().encode()
        return files

    def site_files(self, files: dict[str, bytes | None],
                   others: tuple[Renderer, ...] = ()) -> dict[str, bytes | None]:
        """The files of the whole site: the sitemap of every language's pages, robots.txt."""
        files["sitemap.xml"] = self.sitemap(files, others)
        robots = f"User-agent: *\nAllow: /\nSitemap: {self.site_base}sitemap.xml\n"
        files["robots.txt"] = robots.encode()
        return files

    def home(self) -> tuple[str, bytes | None]:
        shown = self.site.digests[:HOME_DIGESTS]
        more = len(self.site.digests) > HOME_DIGESTS
        if self.unchanged(
            "index.html", [(_header(d), [self.paper_key(p) for p in d.papers]) for d in shown], more
        ):
            return self.prefix + "index.html", None
        digests = [
            (
                d,
                rebase(self.html("intro", d.intro_md), d.url),  # the intro is the month's
                [self.paper_view(p) for p in d.papers],
            )
            for d in shown
        ]
        return self.page(
            "home.html",
            "index.html",
            0,
            digests=digests,
            title=self.site.config.title,
            more=more,
        )

    def archive(self) -> tuple[str, bytes | None]:
        out = "digests/index.html"
        summary = [
            (d.month, d.title, d.date, [(p.slug, p.title) for p in d.papers])
            for d in self.site.digests
        ]
        if self.unchanged(out, summary):
            return self.prefix + out, None
        title = self.messages.gettext("All digests")
        return self.page("archive.html", out, 1, digests=self.site.digests, title=title)

    def digest_page(self, digest: Digest) -> tuple[str, bytes | None]:
        out = f"{digest.month}/index.html"
        if self.unchanged(
            out,
            _header(digest),
            [self.paper_key(p) for p in digest.papers],
            self.extra.digest_pdfs.get(digest.month, ""),
        ):
            return self.prefix + out, None
        views = [self.rebased(p, f"{p.slug}/") for p in digest.papers]
        return self.page(
            "digest.html",
            out,
            1,
            digest=digest,
            views=views,
            intro_html=self.html("intro", digest.intro_md),
            outro_html=self.html("outro", digest.outro_md),
            pdf=self.extra.digest_pdfs.get(digest.month, ""),
            title=digest.title,
            bibtex=digest_bibtex(digest, dataclasses.replace(self.site.config, base_url=self.base)),
        )

    def paper_page(
        self, digest: Digest, paper: Paper, prev: Paper | None, nxt: Paper | None
    ) -> tuple[str, bytes | None]:
        out = f"{paper.url}index.html"
        if self.unchanged(
            out,
            self.paper_key(paper),
            digest.title,
            digest.month,
            prev and (prev.slug, prev.title),
            nxt and (nxt.slug, nxt.title),
        ):
            return self.prefix + out, None
        return self.page(
            "paper.html",
            out,
            2,
            digest=digest,
            view=self.paper_view(paper),
            prev=prev,
            next=nxt,
            title=paper.title,
            bibtex=paper_bibtex(self.originals.get(paper.slug, paper)),
            scholar=scholar_meta(self.originals.get(paper.slug, paper)),
        )

    def tags_page(self, tags: dict[str, list[Paper]]) -> tuple[str, bytes | None]:
        out = "tags/index.html"
        if self.unchanged(out, [(t, len(ps)) for t, ps in tags.items()]):
            return self.prefix + out, None
        return self.page("tags.html", out, 1, tags=tags, title=self.messages.gettext("Tags"))

    def card(self, paper: Paper) -> Card:
        """What a card shows of a paper (the tag pages' entries), made once a build."""
        card = self._cards.get(paper.slug)
        if card is None:
            slug = paper.slug
            card = self._cards[slug] = Card(
                CardPaper(slug, paper.month, paper.title, paper.authors, paper.venue,
                          paper.year, paper.tags, paper.lang, paper.fallback),
                self.extra.outcomes.get(slug), self.extra.images.get(slug, PaperImages()),
                self.numbers.get(slug, 0))
        return card

    def tag_page(self, tag: str, papers: list[Paper]) -> tuple[str, bytes | None]:
        """A tag's cards: keyed on the cards alone, so an edit of a summary, a takeaway or a
        link re-renders none of the (long) tag pages."""
        out = f"tags/{tag}/index.html"
        views = [self.card(p) for p in papers]
        if self.unchanged(out, tag, [c.key for c in views]):
            return self.prefix + out, None
        title = self.messages.gettext("Tag: %(tag)s") % {"tag": tag}
        return self.page("tag.html", out, 2, tag=tag, views=views, title=title)

    def search_files(self, years: Collection[str] | None = None) -> dict[str, bytes | None]:
        """One search file per year, rewritten only when one of its entries changed (``years``:
        the only years that may have; the others are the last build's)."""
        files: dict[str, bytes | None] = {}
        for year, digests in search.by_year(self.site.digests).items():
            out = f"{search.SEARCH_DIR}/{year}.js"
            if years is not None and year not in years:
                files[self.prefix + out] = None
                continue
            keys = [(_header(d), [self.paper_key(p) for p in d.papers]) for d in digests]
            unchanged = self.unchanged(out, keys) and self.prefix + out in self.previous_files
            files[self.prefix + out] = None if unchanged else search.year_script(
                digests, self.html, self.messages)
        versions = {
            out.removeprefix(self.prefix): (
                content_hash(data) if data is not None else self.previous_files[out])[:12]
            for out, data in files.items()
        }
        files[self.prefix + search.INDEX_FILE] = search.index_script(versions)
        return files

    def feed(self) -> bytes | None:
        shown = self.site.digests[:FEED_DIGESTS]
        updated = max((d.date for d in self.site.digests), default=dt.date(1970, 1, 1))
        keys = [(_header(d), [self.paper_key(p) for p in d.papers]) for d in shown]
        if self.unchanged("feed.xml", keys, updated):
            return None
        entries = [(d, self.feed_html(d), sorted({t for p in d.papers for t in p.tags}))
                   for d in shown]
        text = self.env.get_template("feed.xml").render(
            config=self.site.config, base_url=self.base, entries=entries, updated=updated
        )
        return text.encode("utf-8")

    def feed_html(self, digest: Digest) -> str:
        """An entry's HTML: the intro and the list of papers, every URL absolute (feed readers
        resolve nothing), every title escaped; the template escapes it once more, as XML."""
        page = self.base + digest.url
        items = []
        for paper in digest.papers:
            outcome = self.extra.outcomes.get(paper.slug)
            claims = ""
            if outcome and outcome.claims:
                claims = ": " + self.messages.nt(
                    "%(k)d of %(num)d claim reproduced", "%(k)d of %(num)d claims reproduced",
                    len(outcome.claims), k=outcome.reproduced)
            items.append(f'<li><a href="{escape(self.base + paper.url)}">{escape(paper.title)}'
                         f"</a> ({escape(self.authors(paper.authors))}){claims}</li>")
        intro = absolute(self.html("intro", digest.intro_md), page)
        return intro + "<ol>" + "".join(items) + "</ol>"

    def sitemap(self, files: Mapping[str, Any],
                others: tuple[Renderer, ...] = ()) -> bytes | None:
        """Every page of every language, each with its alternates in the other languages (None:
        the same as the last build's: no page came or went, no month's date changed)."""
        lastmod = {d.month: d.date for d in self.site.digests}
        prefixes = [r.prefix for r in others if r.prefix]
        urls = []
        for path in sorted(files):
            if not path.endswith("index.html"):
                continue
            loc = path.removesuffix("index.html")
            tree = next((p for p in prefixes if loc.startswith(p)), "")
            page = loc.removeprefix(tree)
            alts = [(tag, self.site_base + prefix + page) for tag, _, prefix in self.languages]
            urls.append((self.site_base + loc, lastmod.get(page.split("/")[0]),
                         alts if len(alts) > 1 else []))
        if self.unchanged("sitemap.xml", urls) and "sitemap.xml" in self.previous_files:
            return None
        text = self.env.get_template("sitemap.xml").render(urls=urls)
        return text.encode("utf-8")


@dataclass(frozen=True)
class CardPaper:
    """The fields of a paper a card shows (`_macros.html`'s `card`): a tag page's template sees
    no more than these, so its key (`Card.key`) names everything it can show."""

    slug: str
    month: str
    title: str
    authors: tuple[str, ...]
    venue: str
    year: int
    tags: tuple[str, ...]
    lang: str
    fallback: bool

    @property
    def url(self) -> str:
        return f"{self.month}/{self.slug}/"


@dataclass(frozen=True)
class Card:
    """A tag page's entry: the paper's card fields, its outcome, images and series number."""

    paper: CardPaper
    outcome: Outcome | None
    images: PaperImages
    series: int

    @functools.cached_property
    def key(self) -> str:
        return repr_hash(self)


def slide_alt(paper: Paper, outcome: Outcome | None, messages: Catalog | None = None) -> str:
    """Alt text for a slide: the title and, when there is a result, the checked claims."""
    m = messages or Catalog("en")
    text = m.t("Slide for “%(title)s”.", title=paper.title)
    if outcome and outcome.claims:
        marks = m.t("; ").join(
            m.t("reproduced: %(claim)s" if c.reproduced else "not reproduced: %(claim)s",
                claim=c.statement_in(m.lang))
            for c in outcome.claims
        )
        text += m.t(" Claims checked by the reference experiment: %(claims)s.", claims=marks)
    elif paper.takeaways:
        text += m.t(" Takeaways: %(takeaways)s.", takeaways=m.t("; ").join(paper.takeaways))
    if paper.figure:
        figure = paper.figure
        text += m.t(" Beside our panels, the paper's own figure: %(alt)s (%(credit)s).",
                    alt=figure.alt, credit=figure.credit)
    return text


JS_MESSAGE = re.compile(r"""\btn?\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")
"""`t("message")` and `tn("one", "other", n)` in site.js: the script's interface strings."""


def js_messages(template_dir: Path | Sequence[Path], messages: Catalog) -> str:
    """The translations site.js needs, as JSON ('' when the page's language is the source's)."""
    import json

    found = [d / ASSET_DIR / "site.js" for d in _dirs(template_dir)]
    found = [f for f in found if f.is_file()]  # the site's own first, then the theme's
    if not found:
        return ""
    script = found[0].read_text(encoding="utf-8")
    wanted = {json.loads(f'"{m}"') for m in JS_MESSAGE.findall(script)}
    table = {m: messages.messages[m] for m in sorted(wanted) if m in messages.messages}
    if not table:
        return ""
    text = json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/")


def render_pages(
    site: Site,
    template_dir: Path | Sequence[Path],
    extra: RenderInput | None = None,
    markup: Markup | None = None,
) -> dict[str, bytes]:
    """All generated files of a one-language site as `{relative path: bytes}` (a full render)."""
    renderer = Renderer(site, template_dir, extra, markup)
    return renderer.site_files(renderer.render_all())  # type: ignore[return-value]


def _header(digest: Digest) -> Digest:
    """The digest without its papers (a page's key names those by `Renderer.paper_key`)."""
    return dataclasses.replace(digest, papers=())


def _dirs(template_dir: Path | Sequence[Path]) -> list[Path]:
    return [template_dir] if isinstance(template_dir, Path) else [Path(d) for d in template_dir]


_HASHED: dict[tuple, str] = {}
"""`_templates_hash` by the stat of every file it read (serve renders many times a second);
never for a file changed in the last 2 s (a rewrite within the clock's tick keeps its mtime)."""


def _templates_hash(template_dir: Path | Sequence[Path]) -> str:
    """Hash of the templates a build renders with (for each name, the folder that wins)."""
    stats = tuple((str(p), st.st_mtime_ns, st.st_size, st.st_ino)
                  for d in _dirs(template_dir) for p in sorted(Path(d).rglob("*"))
                  if stat.S_ISREG((st := p.stat()).st_mode))
    if stats in _HASHED:
        return _HASHED[stats]
    h = hashlib.blake2b(digest_size=16)
    for rel, data in read_templates(template_dir):
        h.update(rel.encode() + b"\0" + data)
    _HASHED.clear()
    if all(mtime < time.time_ns() - RACY_NS for _, mtime, _, _ in stats):
        _HASHED[stats] = h.hexdigest()
    return h.hexdigest()


def read_templates(template_dir: Path | Sequence[Path]) -> list[tuple[str, bytes]]:
    """(relative path, bytes) of every template a build renders with (for each name, the folder
    that wins); one that is not UTF-8, or a symlink out of its folder, is bad input
    (`path:line`, exit 2), found before anything runs."""
    from mlcollage.content.inputs import decode, outside

    found: dict[str, tuple[Path, Path]] = {}
    for folder in reversed(_dirs(template_dir)):
        for path in folder.rglob("*"):
            rel = path.relative_to(folder)
            if path.is_file() and rel.parts[0] != ASSET_DIR:  # assets are copied, not rendered
                found[rel.as_posix()] = (folder, path)
    out, problems = [], []
    for rel, (folder, path) in sorted(found.items()):
        real = outside(path, folder)
        if real is not None:
            problems.append(Problem(path, 1, f"a symlink to {real}, outside the templates; "
                                    f"expected a file inside {folder}"))
            continue
        data = path.read_bytes()
        text, line, message = decode(path, data)
        if text is None:
            problems.append(Problem(path, line, message))
        out.append((rel, data))
    if problems:
        raise InputError(problems)
    return out


def render_or_explain(
    renderer: Renderer, template_dir: Path | Sequence[Path],
    months: Collection[str] | None = None, tags_of: Collection[str] = (),
) -> dict[str, bytes | None]:
    """Render; a broken or missing template is bad input (`path:line: ...`, exit 2)."""
    with explained(template_dir):
        return renderer.render_all(months, tags_of)


@contextmanager
def explained(template_dir: Path | Sequence[Path]) -> Iterator[None]:
    """A broken or missing template raised inside is bad input (`path:line: ...`, exit 2)."""
    import jinja2

    dirs = _dirs(template_dir)
    templates = dirs[0]
    where = " or ".join(str(d) for d in dirs)

    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        path = Path(exc.filename or templates / (exc.name or "?"))
        raise InputError(
            [
                Problem(
                    path, exc.lineno or 1, f"template error: {exc.message}; expected valid Jinja2"
                )
            ]
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError(
            [
                Problem(
                    templates / str(exc.name),
                    1,
                    f"template not found; expected {exc.name} in {where}",
                )
            ]
        ) from None
    except jinja2.UndefinedError as exc:
        raise InputError(
            [
                Problem(
                    templates,
                    1,
                    f"template uses an undefined value: {exc}; "
                    "expected only the variables mlcollage passes",
                )
            ]
        ) from None


def render_pooled(
    renderers: Sequence[Renderer], template_dir: Path | Sequence[Path], jobs: int,
    folder: Callable[[], Path] | None = None,
) -> tuple[dict[str, bytes | None], dict[str, str], Path | None] | None:
    """Every renderer's files, its tasks shared out over ``jobs`` processes (`render.pool`),
    in the order and with the bytes and page keys of `render_or_explain` one renderer after the
    other; None (nothing done) when the work would not pay for a second process.

    ``folder`` (a cold build's publish: `publish.fresh_folder`) makes the folder the workers
    write their files into: each one writes what it rendered and sends back only its content
    hash (the bytes do not travel, and the writing is shared out too). Returns (files not
    written, {path: content hash} of those written, the folder or None); on any error the
    folder is removed."""
    if any(r.previous for r in renderers):  # an incremental render: most pages are skipped
        return None
    work = [(r, task, weight) for r in renderers for task, weight in r.tasks()]
    n = pool.workers(jobs, sum(weight for _, _, weight in work))
    if n <= 1:
        return None
    target = folder() if folder is not None else None
    try:
        files, written = _render_pooled(renderers, template_dir, work, n, target)
    except BaseException:
        if target is not None:
            import shutil

            shutil.rmtree(target, ignore_errors=True)
        raise
    return files, written, target


def _render_pooled(
    renderers: Sequence[Renderer], template_dir: Path | Sequence[Path],
    work: list[tuple[Renderer, Callable[[], dict[str, bytes | None]], float]], n: int,
    target: Path | None,
) -> tuple[dict[str, bytes | None], dict[str, str]]:
    import jinja2

    for r in renderers:  # compiled once, here: every worker starts with them
        for name in r.env.list_templates(filter_func=lambda t: t.endswith((".html", ".xml"))):
            try:
                r.env.get_template(name)
            except jinja2.TemplateError:
                pass  # reported by the task that uses it, as in a serial render

    def keyed(renderer: Renderer, task: Callable[[], dict[str, bytes | None]]) -> Callable:
        def run() -> tuple[dict[str, bytes | None], dict[str, str], dict[str, str]]:
            saved, renderer.keys = renderer.keys, {}
            try:
                with explained(template_dir):
                    task_files = task()
                if target is None:
                    return task_files, {}, renderer.keys
                hashes = write_files(target, task_files)
                rest = {rel: data for rel, data in task_files.items() if rel not in hashes}
                return rest, hashes, renderer.keys
            finally:
                renderer.keys = saved

        return run

    results = pool.run_tasks([keyed(r, task) for r, task, _ in work],
                             [weight for _, _, weight in work], n)
    files: dict[str, bytes | None] = {}
    written: dict[str, str] = {}
    for r in renderers:
        r.keys = {}
    for (r, _, _), (task_files, hashes, keys) in zip(work, results, strict=True):
        files.update(task_files)
        written.update(hashes)
        r.keys.update(keys)
    return files, written


def markdown_texts(site: Site) -> Iterator[str]:
    """Every Markdown text the site's pages and slides show, in every language."""
    for lang_site in site.languages():
        for digest in lang_site.digests:
            yield digest.intro_md
            yield digest.outro_md
            for paper in digest.papers:
                yield paper.summary_md


@dataclass(frozen=True)
class Pages:
    """The render step's output: path -> bytes, or None where the last build's file is current."""

    files: dict[str, bytes | None]
    keys: dict[str, str]
    """path -> the page's key (what it was rendered from), recorded for the next build."""
    html: Any = None
    """`Renderer.html`: (kind, Markdown) -> HTML, memoised (the publish step checks links)."""
    written: Mapping[str, str] = field(default_factory=dict)
    """path -> content hash of the pages the render workers wrote into ``folder`` (not in
    ``files``)."""
    folder: Path | None = None
    """The new site's folder (`publish.fresh_folder`) when the workers wrote pages into it."""


def render_step(
    site: Site,
    outcomes: Mapping[str, Outcome],
    slides: Any,
    opts: Any,
    state: Any,
    md: Markup,
    extra_head: str = "",
    months: Collection[str] | None = None,
    tags_of: Collection[str] = (),
) -> Pages:
    """Render every page whose inputs changed since the last build into this output folder:
    each language's tree (the default at the root), then the sitemap of all of them.
    ``months``, ``tags_of``: serve's quick rebuild (`Renderer.render_all`; no sitemap)."""
    from mlcollage.content.source import caveat

    caveats = {p.slug: caveat(p.experiment.path) for p in site.papers if p.experiment}
    sites = site.languages()
    catalogs = {s.lang: catalog(s.lang, opts.project) for s in sites}
    languages = tuple((s.lang, catalogs[s.lang].name(), s.prefix) for s in sites)
    if len(sites) < 2:
        languages = ()

    def render(last: Mapping[str, Any]) -> Pages:
        renderers = []
        for lang_site in sites:
            images, pdfs = slides.for_language(lang_site.lang)
            extra = RenderInput(outcomes=outcomes, images=images,
                                digest_pdfs={m: DIGEST_PDF for m in pdfs}, caveats=caveats,
                                extra_head=extra_head)
            renderers.append(Renderer(
                lang_site, opts.theme, extra, md, previous=last.get("pages", {}),
                previous_files=last.get("files", {}), bytecode_dir=state.jinja,
                messages=catalogs[lang_site.lang], languages=languages,
                originals={p.slug: p for p in site.papers}))
        pooled = None if months is not None else render_pooled(
            renderers, opts.theme, opts.jobs, fresh)
        if pooled is None:  # serial: too little to render, or an incremental build
            files, written, folder = {}, {}, None
            for renderer in renderers:
                files.update(render_or_explain(renderer, opts.theme, months, tags_of))
        else:
            files, written, folder = pooled
        if months is None:
            try:  # the sitemap lists every page, written or not
                listed = dict.fromkeys(written, None) | files
                renderers[0].site_files(listed, tuple(renderers[1:]))
            except BaseException:
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            files = {rel: data for rel, data in listed.items() if rel not in written}
        keys = {k: v for r in renderers for k, v in r.keys.items()}
        return Pages(files, keys, renderers[0].html, written, folder)

    def fresh() -> Path:
        return fresh_folder(opts.out_dir, None if opts.no_cache else opts.state_dir)

    pages = render(state.last)
    out = str(opts.out_dir)  # serve's own temporary folder is touched by nobody else
    if not state.in_memory and any(data is None and not os.path.isfile(os.path.join(out, rel))
           for rel, data in pages.files.items()):
        state.forget_last()  # the output was touched since: render every page
        pages = render(state.last)
    return pages
