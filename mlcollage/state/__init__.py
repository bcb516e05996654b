"""`.mlcollage/`: the disposable build state, and its one owner, `BuildState`.

Everything here can be deleted at any time (the next build is just slower); `--no-cache` opens
it empty and writes nothing back. `figures/` is not build state: it is the committed results
store (`mlcollage.run.store`).

    .mlcollage/
      load-memo.pickle      validated Papers, by their files' stat        (content.load)
      markdown-memo.pickle  HTML by the Markdown text's hash              (render.markdown)
      slide-memo.pickle     slide and digest-PDF keys, by stat or inputs  (draw.step)
      snapshot.pickle       the last full build's site, outcomes and slides: a prose edit
                            re-renders from it (mlcollage.quick)
      snapshot-edits.pickle the months prose edits changed since, with the outcomes and slides
                            (a prose edit writes this, not the whole snapshot)
      jinja/                compiled templates                            (render.pages)
      code-key.json         `code_key` with the stat of the modules it hashed (state.memo)
      versions.json         libraries' versions, while no `sys.path` folder moved (state.memo)
      manifest.pickle       per output folder: the inputs' fingerprint, each file's hash,
                            each page's key, what the live and standby site folders hold
                            (by inode; render.publish) (state.manifest)
      fingerprints.json     the fingerprints alone, read by the no-op check  (state.manifest)
      inputs.json           the files and folders the last fingerprint covered: the no-op
                            check stats these instead of walking (state.manifest)
      build.lock            held by the build that runs (state.lock)
      publish/              the standby site folder, the next build's (render.publish)
      logs/                 each experiment run's full output (run.worker)

It is saved only by `commit`, after a build succeeded: a failed build leaves it as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcollage.files import MARKER, atomic_write
from mlcollage.options import Options
from mlcollage.state import manifest, memo
from mlcollage.state.memo import Memo, code_key

SNAPSHOT = "snapshot.pickle"
EDITS = "snapshot-edits.pickle"
MEMOS = {"loaded": "load-memo.pickle", "markdown": "markdown-memo.pickle",
         "slide_keys": "slide-memo.pickle"}


@dataclass
class BuildState:
    """The memos, the last build into this output folder, and the inputs' fingerprints."""

    folder: Path | None
    """`.mlcollage/`, or None under `--no-cache`."""
    loaded: Memo
    markdown: Memo
    slide_keys: Memo
    last: dict[str, Any] = field(default_factory=dict)
    """The last successful build into this output folder: {"files": {path: hash}, "pages":
    {path: key}}; empty when there is none or its output was touched (everything re-renders)."""
    source_fp: str = ""
    """Fingerprint of site_src/, templates/, the options and versions, taken before any input
    is read: an edit during the build is seen by the next one."""
    fp: str = ""
    """`source_fp` combined with figures/ as the build found it ('' if not taken)."""
    in_memory: bool = False
    """serve: kept between rebuilds in memory (memos, the last build); `commit` writes nothing
    and no fingerprint is taken (serve knows what changed from its watcher)."""
    changed: frozenset[str] | None = None
    """serve: the paths its watcher saw change since the last build; None: not known (the load
    step compares every file's stat with its memo)."""
    snapshot: Any = None
    """serve: (site, outcomes, slides) of the last successful build, for the quick rebuild of a
    prose edit (`mlcollage.quick`); None until one succeeded."""
    _base: tuple[str, dict[str, dict[str, Any]]] | None = None
    """After `read_snapshot`: the full build's snapshot token, and the digests the prose edits
    since changed (language -> month -> digest)."""

    @classmethod
    def open(cls, opts: Options, settings: dict[str, Any],
             fingerprints: tuple[str, str] | None = None, in_memory: bool = False) -> BuildState:
        """``in_memory`` (serve): the memos as the last CLI build left them, no last build."""
        folder = None if opts.no_cache else opts.state_dir
        if folder is not None and memo.CACHE_DIR is None:
            memo.CACHE_DIR = folder  # before the first `code_key`
        memos = {name: Memo(folder / file if folder else None) for name, file in MEMOS.items()}
        if in_memory:
            return cls(folder, in_memory=True, **memos)
        source_fp, fp = fingerprints or (manifest.source_fingerprint(opts.project, settings), "")
        last = {} if folder is None else manifest.previous_build(opts.project, opts.out_dir)
        try:  # a build killed between its swap and its record left the record of another site
            if (opts.out_dir / MARKER).stat().st_mtime_ns != last.get("marker_mtime_ns"):
                last = {}
        except OSError:
            last = {}
        return cls(folder, last=last, source_fp=source_fp, fp=fp, **memos)

    @property
    def jinja(self) -> Path | None:
        """Where compiled templates are kept (None: compile in memory)."""
        return self.folder / "jinja" if self.folder else None

    def forget_last(self) -> None:
        """The output was touched since the last build: re-render every page."""
        self.last = {}

    def commit(self, opts: Options, hashes: dict[str, str], pages: dict[str, str],
               trees: dict[str, dict[str, str]], figures_changed: bool,
               snapshot: Any = None, partial: bool = False,
               edited: Collection[str] | None = None) -> None:
        """Save the memos, then record the build: only ever after it succeeded.
        ``snapshot``: (site, outcomes, slides) of this build, saved for the prose edits after
        it (None: the last snapshot stays the one recorded); ``partial`` (a prose edit,
        `mlcollage.quick`): the memos keep what it did not look at; ``edited``: the months
        it changed (their digests are saved beside the snapshot it started from, which is
        not written again)."""
        if self.in_memory:  # the next rebuild starts from this one, in memory
            for name in MEMOS:
                getattr(self, name).roll()
            self.last = {"files": hashes, "pages": pages, "trees": trees}
            self.changed = frozenset()
            return
        if self.folder is None:
            return
        for name in MEMOS:
            getattr(self, name).save(merged=partial)
        fp = self.fp
        if figures_changed or not fp:
            fp = manifest.fingerprint(opts.project, self.source_fp, opts.quick)
        token = self.last.get("snapshot") if partial else None
        if snapshot is not None:  # before the record that names it: never behind it
            from mlcollage import i18n  # not at the top: the no-op check imports this module

            token = fp
            data = {"token": token, "out": str(opts.out_dir.absolute()), "code": code_key(),
                    "cldr": (_babel(), i18n.answers())}
            if partial and edited is not None and self._base is not None:
                # a prose edit: only the months edited since the full build's snapshot
                name, data = EDITS, {**data, **_edits(snapshot, self._base, edited)}
            else:
                name, data = SNAPSHOT, {**data, "snapshot": snapshot}
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.folder / EDITS)  # edits of the snapshot this one replaces
            # no fsync: what a crash leaves of it, empty or older, fails to unpickle or names
            # another token, and the next build is a full one
            atomic_write(self.folder / name,
                         pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
        manifest.record(opts.project, opts.out_dir, fp, hashes, pages, trees, token)

    def read_snapshot(self, opts: Options) -> Any:
        """The snapshot the last build into this output folder recorded (the full build's, with
        the prose edits since over it), made by this code (`_read`), else None."""
        token = self.last.get("snapshot")
        if self.folder is None or not token:
            return None
        base = self._read(opts, SNAPSHOT)
        if base is None:
            return None
        if base["token"] == token:
            snapshot, self._base = base["snapshot"], (token, {})
        else:  # prose edits since: their months over the full build's snapshot
            edits = self._read(opts, EDITS)
            if edits is None or edits["token"] != token or edits.get("base") != base["token"]:
                return None
            snapshot, self._base = _apply(base["snapshot"], edits), (base["token"],
                                                                      edits["months"])
        return snapshot

    def _read(self, opts: Options, name: str) -> dict[str, Any] | None:
        """A snapshot file made by this code (`code_key`: another version's classes, or another
        page key, are not this one's) for this output folder, else None; its CLDR texts are
        remembered (`i18n.remember`) when this Babel wrote them."""
        try:
            with open(self.folder / name, "rb") as fh:  # type: ignore[operator]
                data = pickle.load(fh)
        except Exception:  # noqa: BLE001 - unreadable (any cause): a full build instead
            return None
        if (not isinstance(data, dict) or data.get("out") != str(opts.out_dir.absolute())
                or data.get("code") != code_key() or "token" not in data):
            return None
        from mlcollage import i18n

        babel, texts = data.get("cldr") or ("", {})
        if babel == _babel():  # the dates and plurals its pages show, as this Babel writes them
            i18n.remember(texts)
        return data


def _edits(snapshot: Any, base: tuple[str, dict], edited: Collection[str]) -> dict[str, Any]:
    """What `EDITS` keeps of a prose edit's ``snapshot``: the digests of every month edited
    since the full build's snapshot (``base``: its token, and the months earlier edits kept),
    per language, with the outcomes and slides (a few entries a paper)."""
    token, kept = base
    site, outcomes, slides = snapshot
    months = {lang: dict(digests) for lang, digests in kept.items()}
    for lang_site in site.languages():
        for digest in lang_site.digests:
            if digest.month in edited:
                months.setdefault(lang_site.lang, {})[digest.month] = digest
    return {"base": token, "months": months, "outcomes": outcomes, "slides": slides}


def _apply(snapshot: Any, edits: dict[str, Any]) -> Any:
    """The full build's ``snapshot`` with the months prose edits changed since (`_edits`)."""
    site = snapshot[0]

    def edited(lang_site: Any) -> Any:
        months = edits["months"].get(lang_site.lang, {})
        return dataclasses.replace(lang_site, digests=tuple(
            months.get(d.month, d) for d in lang_site.digests))

    site = dataclasses.replace(edited(site), translations=tuple(map(edited, site.translations)))
    return site, edits["outcomes"], edits["slides"]


def _babel() -> str:
    """Babel's version, without importing it (the CLDR texts a snapshot keeps are its)."""
    return memo.installed("babel")["babel"]
