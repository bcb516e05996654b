"""The quick rebuild of a prose edit, in serve and in `mlcollage build`: re-read the changed
`index*.md` files, re-render only the pages they can change, write just those files.

The common edit while previewing is a summary, intro or header field of a month or paper that
exists already. Then nothing runs (the experiments are the last build's), the set of pages and
files is the last build's, and the pages that can change are the edited months' own pages, the
tag pages of the edited papers' tags, home, archive, feed and the months' years' search files;
each is re-rendered only when its key changed (`mlcollage.render.pages`). Anything else (a file
added or removed, a template, site.yaml, a catalog, an experiment, a slide to draw, a page that
would come or go) is not quick: `quick_pages` returns None and serve or the build runs the
full rebuild. The output equals the full rebuild's byte for byte (tests/test_edit_cost.py,
tests/test_quick_build.py).

serve keeps the last build in memory and knows the changed paths from its watcher;
`mlcollage build` reads the last build's snapshot and the Markdown and slide memos from
`.mlcollage/`, and the no-op check's stat of every listed input names the changed files
(`Listed.changed`); the folders no changed file is in are loaded from the snapshot, and the
edited months are saved beside it after the edit (the next edit starts from both).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlcollage.files import atomic_write, content_hash
from mlcollage.model import Site
from mlcollage.options import Options

INDEX = re.compile(r"index(\.[A-Za-z0-9-]+)?\.md")


def edited_months(src: Path, site: Site, changes: Mapping[str, str]) -> set[str] | None:
    """The months whose `index*.md` (of the month or of one of its papers) are all the changes
    (``changes``: path -> 'added', 'modified' or 'deleted', as the watcher saw them); None when
    any change is something else, or a file that was not an input of ``site``."""
    months = {d.month: d for d in site.digests}
    langs = {s.lang: s for s in site.languages()}
    default = site.lang
    out: set[str] = set()
    root = os.path.abspath(src)
    for path, kind in changes.items():
        try:
            parts = Path(os.path.abspath(path)).relative_to(root).parts
        except ValueError:
            return None
        if kind == "deleted" or not parts or not INDEX.fullmatch(parts[-1]):
            return None
        lang = parts[-1][len("index."):-len(".md")] or default
        if lang not in langs or len(parts) not in (2, 3) or parts[0] not in months:
            return None
        digest = next(d for d in langs[lang].digests if d.month == parts[0])
        if len(parts) == 2:
            entry: Any = digest
        else:
            entry = next((p for p in digest.papers if p.slug == parts[1]), None)
            if entry is None:
                return None
        if lang != default and entry.fallback:  # a new translation: a file that came
            return None
        out.add(parts[0])
    return out


def _carded(old: Site, new: Site, months: set[str]) -> set[str] | None:
    """The tags whose pages show a card that changed (old and new tags of those papers);
    None when a tag page would come or go. A card shows the `CardPaper` fields and what the
    run and draw steps made (the last build's here)."""
    from mlcollage.render.pages import CardPaper

    card = [f.name for f in dataclasses.fields(CardPaper)]
    out: set[str] = set()
    retagged = False
    for a, b in zip(old.languages(), new.languages(), strict=True):
        for da, db in zip(a.digests, b.digests, strict=True):
            if da.month not in months:
                continue
            for pa, pb in zip(da.papers, db.papers, strict=True):
                if any(getattr(pa, f) != getattr(pb, f) for f in card):
                    out |= {*pa.tags, *pb.tags}
                    retagged = retagged or pa.tags != pb.tags
        if retagged and a.tags().keys() != b.tags().keys():
            return None
    return out


def _same_shape(old: Site, new: Site) -> bool:
    """Same months, papers, experiments and fallbacks, and the same dates (the sitemap)."""
    for a, b in zip(old.languages(), new.languages(), strict=True):
        if [d.month for d in a.digests] != [d.month for d in b.digests]:
            return False
        for da, db in zip(a.digests, b.digests, strict=True):
            if da is db:
                continue
            if da.date != db.date or da.draft != db.draft:
                return False
            if [(p.slug, p.experiment, p.number, p.fallback) for p in da.papers] != [
                    (p.slug, p.experiment, p.number, p.fallback) for p in db.papers]:
                return False
    return len(old.translations) == len(new.translations)


def _part(site: Site, months: set[str]) -> Site:
    def only(s: Site) -> Site:
        return dataclasses.replace(s, digests=tuple(d for d in s.digests if d.month in months))

    return dataclasses.replace(only(site), translations=tuple(map(only, site.translations)))


def _merge_slides(slides: Any, part: Any) -> Any:
    langs = {lang: ({**images, **part.langs.get(lang, ({}, {}))[0]},
                    {**pdfs, **part.langs.get(lang, ({}, {}))[1]})
             for lang, (images, pdfs) in slides.langs.items()}
    return dataclasses.replace(slides, images={**slides.images, **part.images},
                               pdfs={**slides.pdfs, **part.pdfs}, langs=langs, drawn=0)


@dataclasses.dataclass
class Quick:
    """A prose edit's new pages: the files whose bytes changed, every output file's hash and
    every page's key after it, and the build it makes (for the next edit)."""

    files: dict[str, bytes]
    hashes: dict[str, str]
    pages: dict[str, str]
    snapshot: tuple[Site, Any, Any]
    rendered: int
    months: set[str] = dataclasses.field(default_factory=set)
    """The months the edit changed."""


def quick_pages(opts: Options, state: Any, changes: Mapping[str, str],
                extra_head: str = "") -> Quick | None:
    """The pages a prose edit (module doc) changes, rendered from ``state`` (its snapshot, memos
    and last build; no other change since it) after ``changes`` (path -> kind); None when the
    edit is not quick. Writes nothing. A bad edit raises `InputError` as the full build would."""
    from mlcollage.content.load import load
    from mlcollage.draw.step import draw_step
    from mlcollage.model import InputError, series_numbers
    from mlcollage.render.links import broken
    from mlcollage.render.markdown import Markup
    from mlcollage.render.pages import render_step
    from mlcollage.run.store import Store

    if state.snapshot is None or state.changed or not state.last.get("files") or not changes:
        return None
    old, outcomes, slides = state.snapshot
    months = edited_months(opts.src, old, changes)
    if not months:
        return None
    site = load(opts, state.loaded, frozenset(changes))
    tags = _carded(old, site, months) if _same_shape(old, site) else None
    if tags is None:
        return None
    md = Markup(memo=state.markdown)
    part = draw_step(_part(site, months), outcomes, Store(opts.figures), opts, state.slide_keys,
                     md, numbers=series_numbers(site))
    if part.drawn:  # figures/ changed (a slide shows the edit): the full rebuild copies them
        return None
    slides = _merge_slides(slides, part)
    pages = render_step(site, outcomes, slides, opts, state, md, extra_head, months, tags)
    last = state.last
    files = {rel: data for rel, data in pages.files.items() if data is not None}
    rendered = {rel for rel in files if rel.endswith("index.html")}
    problems = broken(site, pages.html, last["files"].keys(),
                      current=last["files"].keys() - rendered)
    if problems:
        raise InputError(problems)
    hashes = {rel: content_hash(data) for rel, data in files.items()}
    if not hashes.keys() <= last["files"].keys():  # a file that came: not quick after all
        return None
    changed = {rel: data for rel, data in files.items() if hashes[rel] != last["files"][rel]}
    return Quick(changed, {**last["files"], **hashes}, {**last["pages"], **pages.keys},
                 (site, outcomes, slides), len(files), months)


def quick_rebuild(opts: Options, state: Any, changes: Mapping[str, str],
                  extra_head: str = "") -> bool:
    """serve: rebuild ``opts.out_dir`` after ``changes`` (path -> kind) if the edit is quick
    (module doc); False, with nothing written, when it is not (the caller runs the full
    rebuild). ``state``: serve's in-memory `BuildState` after a successful build. A bad edit
    raises `InputError` as the full rebuild would."""
    quick = quick_pages(opts, state, changes, extra_head)
    if quick is None:
        return False
    for rel, data in quick.files.items():
        # by rename, never in place: the standby folder shares unchanged files (hard links)
        atomic_write(opts.out_dir / rel, data, durable=False)
    last = state.last
    live = str(os.stat(opts.out_dir).st_ino)
    trees = dict(last.get("trees") or {})
    if live in trees:
        trees[live] = {**trees[live], **{rel: quick.hashes[rel] for rel in quick.files}}
    state.last = {"files": quick.hashes, "pages": quick.pages, "trees": trees}
    for memo in (state.loaded, state.markdown, state.slide_keys):
        memo.merge()
    state.snapshot = quick.snapshot
    state.changed = frozenset()
    return True


def quick_build(opts: Options, listed: Any) -> bool:
    """`mlcollage build` after a prose edit: the pages it changes, rendered from the last
    build's snapshot and the memos on disk, published as the full build publishes (the standby
    site folder brought up to date, then swapped in: the output is always a whole site), and
    recorded. ``listed``: the no-op check's `Listed`, which names the files that changed
    since the last build (all of them: nothing else is looked at). False, with nothing
    written, when the edit is not quick: the caller builds in full."""
    from mlcollage.content.load import memo_entries
    from mlcollage.render.publish import publish
    from mlcollage.state import BuildState
    from mlcollage.state.manifest import build_settings
    from mlcollage.state.memo import Memo

    if not listed.changed or opts.force or opts.no_cache or opts.no_run:
        return False
    state = BuildState.open(opts, build_settings(opts), (listed.source_fp, listed.fp))
    if not state.last.get("files") or (snapshot := state.read_snapshot(opts)) is None:
        return False
    if any(o.status not in ("cached", "ran") or o.stale for o in snapshot[1].values()):
        return False  # a failed or missing run: a full build runs it again
    state.snapshot, state.changed = snapshot, frozenset()
    if str(snapshot[0].root) == str(opts.src):  # its paths are this build's (`-C` alike)
        # the untouched folders as the last build loaded them: the build state's load memo
        # (the size of the archive) is neither read nor rewritten; the full build after this
        # one finds the edited papers' entries stale by their stat and reads those again
        state.loaded = Memo.holding(memo_entries(snapshot[0]))
    root = opts.project.absolute()
    quick = quick_pages(opts, state, {str(root / rel): "modified" for rel in listed.changed})
    if quick is None:
        return False
    trees = publish(quick.files, {}, opts.out_dir, quick.hashes, state.last.get("trees"),
                    opts.state_dir)
    state.commit(opts, quick.hashes, quick.pages, trees, figures_changed=False,
                 snapshot=quick.snapshot, partial=True, edited=quick.months)
    if opts.verbosity >= 0:
        print(f"mlcollage: published {len(quick.hashes)} files to {opts.out_dir} (a prose "
              f"edit: {quick.rendered} pages rendered, {len(quick.files)} changed)",
              file=sys.stderr)
    return True
