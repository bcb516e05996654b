"""Load `site_src/` into a `Site`, validating everything and collecting every problem at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Collection
from pathlib import Path
from urllib.parse import urlsplit

from mlcollage.content.cluster import RESOURCE_FIELDS, mem_gb, to_resources
from mlcollage.content.frontmatter import Document, did_you_mean, parse_yaml, split_front_matter
from mlcollage.content.inputs import outside, read_text
from mlcollage.content.names import MONTH_RE, PAPERS_MARKER, SLUG_RE, TAG_RE, link_ok
from mlcollage.content.schema import (
    DIGEST_FIELDS,
    EXPERIMENT_FIELDS,
    FIGURE_FIELDS,
    PAPER_FIELDS,
    SITE_FIELDS,
    TRANSLATED_DIGEST_FIELDS,
    TRANSLATED_FIGURE_FIELDS,
    TRANSLATED_PAPER_FIELDS,
    TRANSLATED_SITE_FIELDS,
    Collector,
    show,
)
from mlcollage.content.source import Declared, config_fields, declared, same_kind
from mlcollage.model import (
    DEFAULT_SEEDS,
    Digest,
    ExperimentSpec,
    InputError,
    Paper,
    PaperFigure,
    Problem,
    Site,
    SiteConfig,
)
from mlcollage.options import Options
from mlcollage.state.memo import Memo, stat_key

HELD = ("serve",)
"""The key of the entries a memo kept in memory holds (`memo_entries`, serve's whole months):
no file's stat, so a folder that changed is read again."""


def load_site(
    root: Path,
    include_drafts: bool = False,
    include_future: bool = False,
    today: dt.date | None = None,
    cache: Memo | None = None,
    changed: Collection[str] | None = None,
) -> Site:
    """Read and validate `root` (a `site_src/` folder); raise InputError listing every problem.

    Drafts are left out unless ``include_drafts``; digests dated after ``today`` are left out
    (with a notice) unless ``include_future`` or ``include_drafts``. ``cache`` gives back what
    unchanged files loaded as last time (`mlcollage.state.memo`). ``changed`` (serve): the only
    paths that changed since ``cache`` was filled; a folder none of them is in is taken from
    ``cache`` without a look at its files.
    """
    root = Path(root)
    today = today or dt.date.today()
    col = Collector(root)
    if cache is not None and changed is not None:
        col.touched = _ancestors(changed)
    config = _load_config(root, col)
    digests: list[Digest] = []
    if root.is_dir():
        for folder in _subfolders(root, col):
            digest = _load_digest(folder, col, include_drafts, cache)
            if digest is not None and (include_drafts or not digest.draft):
                digests.append(digest)
    _check_unique_slugs(digests, col)
    if col.problems or config is None:
        raise InputError(col.problems)
    digests.sort(key=lambda d: d.month, reverse=True)
    notices = []
    if not (include_future or include_drafts):
        for d in [d for d in digests if d.date > today]:
            notices.append(
                f"{d.source}: digest dated {d.date} is in the future; left out "
                "(use --drafts or --future to include it)"
            )
            digests.remove(d)
    translations = tuple(
        _translated_site(root, config, lang, digests, col, cache)
        for lang in config.languages[1:]
    )
    if col.problems:
        raise InputError(col.problems)
    return Site(root=root, config=config, digests=tuple(digests), notices=tuple(notices),
                translations=translations)


def _ancestors(paths: Collection[str]) -> set[str]:
    """Every folder that holds one of ``paths`` (and the paths): what an edit touched."""
    out: set[str] = set()
    for path in paths:
        path = os.path.abspath(path)
        while path not in out:
            out.add(path)
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return out


def _untouched(col: Collector, folder: str) -> bool:
    """True when serve's watcher saw no change in ``folder`` since the memo was filled."""
    return col.touched is not None and os.path.abspath(folder) not in col.touched


def _translated_site(
    root: Path, config: SiteConfig, lang: str, digests: list[Digest], col: Collector,
    cache: Memo | None,
) -> Site:
    """The site in ``lang``: each month and paper from its `index.<lang>.md`, or the default
    language's text marked as a fallback."""
    texts = dict(dict(config.translated).get(lang, ()))
    lang_config = dataclasses.replace(config, language=lang, **texts)
    return Site(root=root, config=lang_config, digests=tuple(
        _translated_digest(d, lang, col, cache) for d in digests))


def _translated_digest(digest: Digest, lang: str, col: Collector, cache: Memo | None) -> Digest:
    papers = tuple(_translated_paper(p, lang, col, cache) for p in digest.papers)
    path = digest.source.with_name(f"index.{lang}.md")
    read = _read_markdown(path, col) if path.is_file() else None
    if read is None or not col.check_fields(read[0], TRANSLATED_DIGEST_FIELDS):
        return dataclasses.replace(digest, papers=papers, lang=lang, fallback=True)
    doc, body, _ = read
    intro, _, outro = body.partition(PAPERS_MARKER)
    return dataclasses.replace(
        digest,
        source=path,
        title=str(doc.data.get("title", digest.title)).strip(),
        description=str(doc.data.get("description", digest.description)).strip(),
        intro_md=intro.strip(),
        outro_md=outro.strip(),
        papers=papers,
        lang=lang,
    )


def _translated_paper(paper: Paper, lang: str, col: Collector, cache: Memo | None) -> Paper:
    """``paper`` in ``lang``: title, takeaways, venue and summary from `index.<lang>.md`;
    the rest (authors, links, tags, the experiment) is the default language's."""
    path = os.path.join(paper.folder, f"index.{lang}.md")
    name = f"{paper.folder}#{lang}"
    if cache is not None and _untouched(col, str(paper.folder)):
        hit = cache.peek(name)
        key = None
    else:
        key = stat_key(paper.source, path) if cache is not None else None
        hit = cache.get(name, key) if cache is not None else None
    if hit is not None and hit.digest_of == paper.digest:
        return hit.paper
    out = dataclasses.replace(paper, lang=lang, fallback=True)
    before = len(col.problems)
    read = _read_markdown(Path(path), col) if os.path.isfile(path) else None
    if read is not None and col.check_fields(read[0], TRANSLATED_PAPER_FIELDS):
        doc, body, _ = read
        data = doc.data
        figure = _translated_figure(paper, doc, col)
        out = dataclasses.replace(
            paper,
            source=Path(path),
            title=" ".join(str(data.get("title", paper.title)).split()),
            takeaways=tuple(t.strip() for t in data.get("takeaways") or paper.takeaways),
            venue=str(data.get("venue", paper.venue)).strip(),
            summary_md=body.strip() or paper.summary_md,
            figure=figure,
            lang=lang,
        )
    if cache is not None and len(col.problems) == before:
        cache.put(name, key, _Translated(paper.digest, out))
    return out


def _translated_figure(paper: Paper, doc: Document, col: Collector) -> PaperFigure | None:
    """The paper's figure with the texts the translation gives (alt, title, credit); the
    image is the default language's."""
    section = doc.data.get("figure")
    if section is None or not col.check_fields(doc, TRANSLATED_FIGURE_FIELDS, ("figure",)):
        return paper.figure
    if paper.figure is None:
        col.add(doc.path, doc.line("figure"), "a translated 'figure' but the paper's index.md "
                "has none; expected the figure (file, credit, alt) in index.md first")
        return None
    texts = {k: " ".join(str(v).split()) for k, v in section.items()}
    return dataclasses.replace(paper.figure, **texts)


@dataclasses.dataclass(frozen=True)
class _Translated:
    """A memoised translation and the default paper it was merged over."""

    digest_of: str
    paper: Paper


def _subfolders(folder: Path, col: Collector) -> list[Path]:
    """The folders in ``folder``, by name, but for hidden ones (`.x`, `_x`); a symlink to a
    folder outside the site is a problem (a CI machine must not publish its own files)."""
    with os.scandir(folder) as it:  # no stat per entry, unlike Path.is_dir()
        entries = [e for e in it if e.is_dir() and not e.name.startswith((".", "_"))]
    names = []
    for e in entries:
        real = outside(e.path, col.root, col.realpaths) if e.is_symlink() else None
        if real is not None:
            col.add(Path(e.path), 1, f"a symlink to {real}, outside the site; "
                    f"expected a folder inside {col.root}")
        else:
            names.append(e.name)
    return [folder / name for name in sorted(names)]


def _load_config(root: Path, col: Collector) -> SiteConfig | None:
    path = root / "site.yaml"
    if not path.is_file():
        col.add(
            path, 1, "site.yaml not found; expected the site's title, author, description, base_url"
        )
        return None
    text = read_text(path, root, col)
    if text is None:
        return None
    doc = _read_yaml(path, text, 1, col)
    if doc is None or not col.check_fields(doc, SITE_FIELDS):
        return None
    if "resources" in doc.data and not col.check_fields(doc, RESOURCE_FIELDS, ("resources",)):
        return None
    base = doc.data["base_url"]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        col.add(
            path,
            doc.line("base_url"),
            f"field 'base_url' is {base!r}; expected an absolute http(s) URL",
        )
        return None
    languages = _languages(path, doc, col)
    if languages is None:
        return None
    special = ("resources", "search", "languages", "translations")
    return SiteConfig(
        **{k: str(v).strip() for k, v in doc.data.items() if k not in special}
        | {
            "base_url": base.rstrip("/") + "/",
            "resources": to_resources(doc.data.get("resources")),
            "search": doc.data.get("search", True),
            "language": languages[0] if languages else doc.data.get("language", "en"),
            "languages": languages,
            "translated": tuple(
                (str(lang), tuple((str(k), str(v).strip()) for k, v in fields.items()))
                for lang, fields in (doc.data.get("translations") or {}).items()
            ),
        }
    )


def _languages(path: Path, doc: Document, col: Collector) -> tuple[str, ...] | None:
    """`languages:` (the default first), checked against `language:` and `translations:`."""
    from mlcollage.content.names import LANG_RE

    languages = tuple(str(x).strip() for x in doc.data.get("languages") or ())
    before = len(col.problems)
    for i, lang in enumerate(languages):
        if not LANG_RE.match(lang):
            col.add(path, doc.line("languages", str(i)), f"language {lang!r} is not a "
                    "language tag; expected one such as 'en', 'zh-CN' or 'pt-BR'")
    default = doc.data.get("language")
    if languages and default is not None and str(default).strip() != languages[0]:
        col.add(path, doc.line("language"), f"language is {default!r} but languages starts "
                f"with {languages[0]!r}; expected the default language first in languages")
    for lang in doc.data.get("translations") or {}:
        if str(lang) not in languages[1:]:
            col.add(path, doc.line("translations", str(lang)), f"translations for {lang!r}, "
                    "which is not one of the other languages; expected one of: "
                    + (", ".join(languages[1:]) or "(none: list them in languages)"))
        else:
            col.check_fields(doc, TRANSLATED_SITE_FIELDS, ("translations", str(lang)))
    return languages if len(col.problems) == before else None


def _read_yaml(path: Path, text: str, first: int, col: Collector) -> Document | None:
    doc, message, line = parse_yaml(path, text, first)
    if doc is None:
        col.add(path, line, message or "invalid YAML")
    return doc


def _read_markdown(path: Path, col: Collector) -> tuple[Document, str, int] | None:
    text = read_text(path, col.root, col)
    if text is None:
        return None
    split = split_front_matter(text)
    if split is None:
        col.add(
            path,
            1,
            "no front matter; expected the file to start with a '---' line, "
            "YAML fields, and a closing '---' line",
        )
        return None
    fm, first, body, body_line = split
    doc = _read_yaml(path, fm, first, col)
    return (doc, body, body_line) if doc is not None else None


def _load_digest(
    folder: Path, col: Collector, include_drafts: bool, cache: Memo | None
) -> Digest | None:
    month = folder.name
    m = MONTH_RE.match(month)
    if not m:
        col.add(
            folder, 1, f"month folder '{month}' is not a month; expected YYYY-MM such as 2021-02"
        )
        return None
    whole = f"{folder}#month"
    if cache is not None and _untouched(col, str(folder)):  # serve: nothing changed in it
        digest = cache.peek(whole)
        if digest is not None:
            return digest
    before = len(col.problems)
    digest = _read_digest(folder, month, col, include_drafts, cache)
    if cache is not None and col.touched is not None and len(col.problems) == before:
        cache.put(whole, HELD, digest)  # a memo kept in memory only: serve's own key
    return digest


def _read_digest(
    folder: Path, month: str, col: Collector, include_drafts: bool, cache: Memo | None
) -> Digest | None:
    index = folder / "index.md"
    if not index.is_file():
        col.add(
            index,
            1,
            "digest index.md not found; expected front matter (title, date) and the digest's intro",
        )
        return None
    if cache is not None and _untouched(col, str(folder)):
        hit, key = cache.peek(str(index)), None
    else:
        key = stat_key(index) if cache is not None else None
        hit = cache.get(str(index), key) if cache is not None else None
    if hit is not None:  # the parsed front matter; it is validated again below
        fm, first, data, body, body_line = hit
        read: tuple[Document, str, int] | None = (Document(index, fm, first, data), body, body_line)
    else:
        read = _read_markdown(index, col)
    if read is None:
        return None
    doc, body, body_line = read
    if not col.check_fields(doc, DIGEST_FIELDS):
        return None
    intro, _, outro = body.partition(PAPERS_MARKER)
    papers = []
    for sub in _subfolders(folder, col):
        paper = _cached_paper(sub, month, col, cache)
        if paper is not None and (include_drafts or not paper.draft):
            papers.append(paper)
    papers = _order(papers, doc, col)
    if cache is not None and hit is None and not any(p.path == index for p in col.problems):
        cache.put(str(index), key, (doc.text, doc.first_line, doc.data, body, body_line))
    date = doc.data["date"]
    return Digest(
        month=month,
        source=index,
        title=doc.data["title"].strip(),
        date=date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)),
        intro_md=intro.strip(),
        outro_md=outro.strip(),
        papers=tuple(papers),
        description=str(doc.data.get("description", "")).strip(),
        draft=bool(doc.data.get("draft", False)),
    )


def _order(papers: list[Paper], doc: Document, col: Collector) -> list[Paper]:
    order = doc.data.get("papers")
    if order is None:
        return papers
    by_folder = {p.folder.name: p for p in papers}
    out = []
    for i, name in enumerate(order):
        if name in by_folder:
            out.append(by_folder.pop(name))
        elif not (doc.path.parent / name).is_dir():
            col.add(
                doc.path,
                doc.line("papers", str(i)),
                f"papers lists '{name}', which is not a folder here; "
                f"{did_you_mean(name, [p.folder.name for p in papers])}",
            )
    return out + sorted(by_folder.values(), key=lambda p: p.folder.name)


def _cached_paper(
    folder: Path, month: str, col: Collector, cache: Memo | None
) -> Paper | None:
    """The last build's Paper when index.md and experiment.py (its Config) are unchanged."""
    if cache is None:
        return _load_paper(folder, month, col)
    name = str(folder)  # plain strings: this runs for every paper of every build
    if _untouched(col, name):
        key, paper = None, cache.peek(name)
    else:
        key = stat_key(os.path.join(name, "index.md"), os.path.join(name, "experiment.py"))
        paper = cache.get(name, key)
    if paper is not None and paper.figure and not os.path.isfile(
        os.path.join(name, paper.figure.file)
    ):  # the figure's file went away since: load again, so that the error is reported
        paper = None
    if paper is None:
        before = len(col.problems)
        paper = _load_paper(folder, month, col)
        if paper is not None and len(col.problems) == before:
            cache.put(name, key, paper)
    return paper


def _load_paper(folder: Path, month: str, col: Collector) -> Paper | None:
    index = folder / "index.md"
    if not index.is_file():
        col.add(index, 1, "paper index.md not found; expected front matter and a summary")
        return None
    read = _read_markdown(index, col)
    if read is None:
        return None
    doc, body, _ = read
    ok = col.check_fields(doc, PAPER_FIELDS)
    data = doc.data
    slug = data.get("slug", folder.name) if isinstance(data.get("slug", ""), str) else folder.name
    tags = data.get("tags") if isinstance(data.get("tags"), list) else []
    if not SLUG_RE.match(slug):
        line = doc.line("slug") if "slug" in data else 1
        escape = "/" in slug or "\\" in slug or ".." in slug
        col.add(
            index,
            line,
            f"slug '{slug}' {'would escape the output folder' if escape else 'is not valid'}; "
            "expected lowercase letters, digits and hyphens",
        )
        ok = False
    links = _links(doc, col) if isinstance(data.get("links"), dict) else ()
    for i, tag in enumerate(tags):
        if isinstance(tag, str) and not TAG_RE.match(tag):
            col.add(
                index,
                doc.line("tags", str(i)),
                f"tag '{tag}' is not valid; expected lowercase letters, digits and hyphens",
            )
            ok = False
    experiment = _experiment(folder, doc, col)
    figure = _figure(folder, doc, col) if isinstance(data.get("figure"), dict) else None
    if not ok or links is None or experiment is False or figure is False:
        return None
    return Paper(
        slug=slug,
        month=month,
        source=index,
        title=" ".join(data["title"].split()),
        authors=tuple(a.strip() for a in data["authors"]),
        year=data["year"],
        summary_md=body.strip(),
        venue=str(data.get("venue", "")).strip(),
        links=links,
        tags=tuple(data.get("tags") or ()),
        takeaways=tuple(t.strip() for t in data.get("takeaways") or ()),
        arxiv=str(data.get("arxiv", "")),
        draft=bool(data.get("draft", False)),
        number=data.get("number"),
        experiment=experiment or None,
        figure=figure or None,
    )


FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _figure(folder: Path, doc: Document, col: Collector) -> PaperFigure | bool:
    """The paper's own figure (`figure:`): a file in its folder, with a credit and alt text."""
    if not col.check_fields(doc, FIGURE_FIELDS, ("figure",)):
        return False
    section = doc.data["figure"]
    name = section["file"].strip()
    line = doc.line("figure", "file")
    path = (folder / name).resolve()
    if Path(name).is_absolute() or not path.is_relative_to(folder.resolve()):
        col.add(doc.path, line, f"figure file '{name}' is outside the paper's folder; "
                "expected a file beside index.md")
        return False
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        col.add(doc.path, line, f"figure file '{name}' is not an image; expected a .png or .jpg")
        return False
    if not path.is_file():
        col.add(doc.path, line, f"figure file '{name}' not found; expected {folder / name}")
        return False
    return PaperFigure(
        file=path.relative_to(folder.resolve()).as_posix(),
        credit=" ".join(section["credit"].split()),
        alt=" ".join(section["alt"].split()),
        title=" ".join(section.get("title", PaperFigure.title).split()),
    )


def _links(doc: Document, col: Collector) -> tuple[tuple[str, str], ...] | None:
    out = []
    for name, url in doc.data["links"].items():
        if not link_ok(url):
            col.add(
                doc.path,
                doc.line("links", str(name)),
                f"link '{name}' is {url!r}; expected an http(s) URL or a relative path",
            )
            return None
        out.append((str(name), url.strip()))
    return tuple(out)


def _experiment(folder: Path, doc: Document, col: Collector) -> ExperimentSpec | None | bool:
    """The experiment spec, None when the paper has none, False on an input error."""
    script = folder / "experiment.py"
    section = doc.data.get("experiment")
    if isinstance(section, dict):
        if not col.check_fields(doc, EXPERIMENT_FIELDS, ("experiment",)):
            return False
        if "resources" in section and not col.check_fields(
            doc, RESOURCE_FIELDS, ("experiment", "resources")
        ):
            return False
        if not script.is_file():
            col.add(
                doc.path,
                doc.line("experiment"),
                f"field 'experiment' is set but {script.name} is missing; expected {script}",
            )
            return False
    elif section is not None:
        return False  # reported by check_fields
    if not script.is_file():
        return None
    if read_text(script, col.root, col) is None:  # not UTF-8, or a symlink out of the site
        return False
    section = section or {}
    lines = {str(k): doc.line("experiment", "config", str(k)) for k in section.get("config") or {}}
    if not _check_overrides(script, section.get("config") or {}, lines, doc, col):
        return False
    decl = declared(script)
    if not _check_controls(script, decl, col):
        return False
    return ExperimentSpec(
        path=script,
        config=dict(section.get("config") or {}),
        seeds=tuple(section.get("seeds") or DEFAULT_SEEDS),
        timeout=section.get("timeout"),
        gpu=bool(section.get("gpu", False)),
        memory_mb=_mb(section.get("memory")),
        resources=to_resources(section.get("resources")),
        config_lines=lines,
        controls=decl.controls,
        deviations=decl.deviations,
        claim_ids=decl.claim_ids,
    )


def _mb(size: object) -> float | None:
    gb = mem_gb(size) if size is not None else None
    return None if gb is None else gb * 1024


def _check_controls(script: Path, decl: Declared, col: Collector) -> bool:
    """Each control: a unique short name, overrides of known Config fields, known claim ids."""
    before = len(col.problems)
    for line, message in decl.problems:
        col.add(script, line, f"CONTROLS/DEVIATIONS: {message}")
    fields = config_fields(script) or {}
    seen: set[str] = set()
    for c in decl.controls:
        where = f"control '{c.name}'"
        if not SLUG_RE.match(c.name) or c.name in seen:
            col.add(script, c.line, f"{where}: the name must be a unique short id; expected "
                    "lower-case words joined by '-', like 'untrained'")
        seen.add(c.name)
        if not c.label:
            col.add(script, c.line, f"{where} has no label; expected what it does, e.g. "
                    "'the network is not trained (learning rate 0)'")
        for key in c.override:
            if key not in fields:
                col.add(script, c.line, f"{where} overrides unknown Config field '{key}'; "
                        f"{did_you_mean(str(key), fields)}")
            elif not same_kind(fields[key], c.override[key]):
                col.add(script, c.line, f"{where} sets '{key}' to {show(c.override[key])}; "
                        f"expected a value like the default {fields[key]!r}")
        if not c.breaks:
            col.add(script, c.line, f"{where} breaks no claim; expected the ids of the claims "
                    "that must fail under it")
        for claim in c.breaks:
            if claim not in decl.claim_ids:
                known = ", ".join(decl.claim_ids) or "none"
                col.add(script, c.line, f"{where} breaks unknown claim id '{claim}'; expected "
                        f"one of the file's claim ids: {known}")
        if c.mode not in ("quick", "full"):
            col.add(script, c.line, f"{where} has mode {c.mode!r}; expected 'quick' or 'full'")
    return len(col.problems) == before


def _check_overrides(
    script: Path, overrides: dict, lines: dict[str, int], doc: Document, col: Collector
) -> bool:
    """Front-matter config overrides must name Config fields, with values of the field's kind."""
    fields = config_fields(script)
    if fields is None:
        if overrides:
            col.add(
                doc.path,
                doc.line("experiment", "config"),
                f"config overrides given but {script} has no `class Config`; "
                "expected a frozen Config dataclass",
            )
            return False
        return True
    ok = True
    for key, value in overrides.items():
        key = str(key)
        if key not in fields:
            col.add(
                doc.path,
                lines[key],
                f"unknown config field '{key}' for {script.name}; {did_you_mean(key, fields)}",
            )
            ok = False
        elif not same_kind(fields[key], value):
            col.add(
                doc.path,
                lines[key],
                f"config field '{key}' is {show(value)}; expected "
                f"a value like the default {fields[key]!r}",
            )
            ok = False
    return ok


def _check_unique_slugs(digests: list[Digest], col: Collector) -> None:
    seen: dict[str, Paper] = {}
    for digest in sorted(digests, key=lambda d: d.month):
        for paper in digest.papers:
            if paper.slug in seen:
                col.add(
                    paper.source,
                    1,
                    f"duplicate slug '{paper.slug}' (also used by "
                    f"{seen[paper.slug].source}); expected unique paper slugs",
                )
            else:
                seen[paper.slug] = paper


def load(opts: Options, memo: Memo | None = None,
         changed: Collection[str] | None = None) -> Site:
    """Load and validate; apply command-line overrides of site.yaml (--base-url, --only).

    ``memo``: the build state's memo of validated Papers, by their files' stat; ``changed``
    (serve): the paths changed since it was filled, the only ones looked at.
    """
    site = load_site(opts.src, include_drafts=opts.drafts, include_future=opts.future, cache=memo,
                     changed=changed)
    for notice in site.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if opts.base_url:
        from urllib.parse import urlsplit

        parts = urlsplit(opts.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(
                [
                    Problem(
                        Path("--base-url"),
                        0,
                        f"{opts.base_url!r} is not an absolute http(s) URL; "
                        "expected e.g. https://user.github.io/repo/",
                    )
                ]
            )
        base = opts.base_url.rstrip("/") + "/"
        site = dataclasses.replace(
            site,
            config=dataclasses.replace(site.config, base_url=base),
            translations=tuple(
                dataclasses.replace(t, config=dataclasses.replace(t.config, base_url=base))
                for t in site.translations
            ),
        )
    for only in opts.only:
        if only not in {p.slug for p in site.papers}:
            raise InputError(
                [
                    Problem(
                        Path("--only"),
                        0,
                        f"no paper with slug {only!r}; expected "
                        "one of: " + ", ".join(p.slug for p in site.papers),
                    )
                ]
            )
    return site


def memo_entries(site: Site) -> dict[str, tuple[object, object]]:
    """What a load into the memo given to `load_site` with ``changed`` keeps of ``site``, the
    way serve's memo holds it after a load: each month whole, each paper, each translation. A
    memo of these (`Memo.holding`) loads the folders ``changed`` does not touch as they are in
    ``site`` (the last build's snapshot, for `mlcollage build` after a prose edit), without
    reading the build state's memo. Their key matches no file's stat: a touched folder is read
    again."""
    entries: dict[str, tuple[object, object]] = {}
    folders: dict[str, str] = {}  # `str(paper.folder)`, without a Path made per paper
    for digest in site.digests:
        entries[f"{os.path.dirname(digest.source)}#month"] = (HELD, digest)
        for paper in digest.papers:
            folder = folders[paper.slug] = os.path.dirname(paper.source)
            entries[folder] = (HELD, paper)
    for translated in site.translations:
        for digest, other in zip(site.digests, translated.digests, strict=True):
            for paper, text in zip(digest.papers, other.papers, strict=True):
                entries[f"{folders[paper.slug]}#{translated.lang}"] = (
                    HELD, _Translated(paper.digest, text))
    return entries
