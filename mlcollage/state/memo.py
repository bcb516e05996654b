"""`Memo`: values computed from inputs, kept between builds under a key that changes when they do.

One class for every memo of `.mlcollage/` (see `mlcollage.state`): the load step keeps each
paper's validated `Paper` keyed by its files' (mtime, size, inode), so a rebuild after editing one
summary parses and validates only that file; the Markdown memo keeps each text's HTML by the
text's hash; the draw step keeps the key each `slide.json` records and each slide's key by its
inputs. A whole memo is keyed by mlcollage's own sources and the versions of the libraries that
read and convert the files, so an upgrade or a code change is a miss. Callers store only what was
computed without a problem; entries a build did not use are dropped when it saves.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

from mlcollage.files import atomic_write

VERSION = 1
RACY_NS = 2_000_000_000
"""A file changed this recently has no key (it is read, never cached): a second same-size edit
within the filesystem's timestamp granularity would otherwise go unseen (git's racy-clean rule)."""


def stat_key(*paths: str | Path) -> tuple | None:
    """(mtime_ns, size, inode) of each path (None where missing); None when one just changed."""
    out: list[tuple[int, int, int] | None] = []
    now = time.time_ns()
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
            continue
        if now - st.st_mtime_ns < RACY_NS:
            return None
        out.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


CACHE_DIR: Path | None = None
"""Where `code_key` and `installed` keep their last answers with the stat they were computed
under (`code-key.json`, `versions.json`; the build state's folder sets it: `.mlcollage/`);
None: computed every time."""


def _cached(name: str, stamp: Any) -> Any:
    """The value kept in ``CACHE_DIR``/``name`` with this ``stamp`` (JSON-equal), else None."""
    import json

    if CACHE_DIR is None:
        return None
    try:
        cached = json.loads((CACHE_DIR / name).read_text(encoding="utf-8"))
        if cached["stamp"] == json.loads(json.dumps(stamp)):
            return cached["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _keep(name: str, stamp: Any, value: Any) -> None:
    import json

    if CACHE_DIR is not None and CACHE_DIR.is_dir():
        atomic_write(CACHE_DIR / name, json.dumps({"stamp": stamp, "value": value}).encode(),
                     durable=False)


def installed(*dists: str) -> dict[str, str]:
    """Each distribution's version ('' when it is not installed), read from package metadata
    (`importlib.metadata` costs ~20 ms to import, and each lookup scans `sys.path`) only when a
    `sys.path` folder moved since the answers kept in ``CACHE_DIR`` (an install moves its
    folder's mtime), or for a distribution not asked about before."""
    stamp = sorted(path_mtimes().items())
    known = _cached("versions.json", stamp)
    known = known if isinstance(known, dict) else {}
    missing = [d for d in dists if not isinstance(known.get(d), str)]
    if missing:
        from importlib import metadata

        for dist in missing:
            try:
                known[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                known[dist] = ""
        _keep("versions.json", stamp, known)
    return {d: known[d] for d in dists}


@cache
def code_key() -> str:
    """Hash of mlcollage's modules, Python and the libraries that parse, convert and render.

    Reading every module and the libraries' metadata costs ~40 ms a process; the answer is
    reused while the modules' stat and the `sys.path` folders' mtimes (an install moves them)
    are the ones it was computed under, and no module changed in the last 2 s (`RACY_NS`)."""
    package = Path(__file__).resolve().parents[1]
    sources = sorted(package.rglob("*.py"))  # every subpackage: an edit anywhere is a miss
    stats = [os.stat(p) for p in sources]
    stamp = [VERSION, sys.version, sorted(path_mtimes().items()),
             [[p.relative_to(package).as_posix(), s.st_size, s.st_mtime_ns, s.st_ino]
              for p, s in zip(sources, stats, strict=True)]]
    key = _cached("code-key.json", stamp)
    if isinstance(key, str):
        return key
    h = hashlib.sha256(f"{VERSION}\0{sys.version}\0".encode())
    for dist, version in installed("pyyaml", "markdown", "pygments", "latex2mathml",
                                   "jinja2").items():
        if version:
            h.update(f"{dist}={version}\0".encode())
    for path in sources:
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    key = h.hexdigest()
    if all(time.time_ns() - s.st_mtime_ns >= RACY_NS for s in stats):  # settled
        _keep("code-key.json", stamp, key)
    return key


def path_mtimes() -> dict[str, int]:
    """The mtime of every folder on `sys.path`: installing, upgrading or removing a
    distribution adds or removes its `.dist-info` folder in one of them, which moves it."""
    out = {}
    here = os.getcwd()
    for entry in sys.path:
        if entry in ("", here):  # `python -m` puts the current folder first: a project's,
            continue  # whose mtime every publish moves (no distribution is installed there)
        try:
            out[entry] = os.stat(entry).st_mtime_ns
        except OSError:
            continue
    return out


class Memo:
    """name -> (key, value) in a pickle under `.mlcollage/`; ``path=None`` remembers nothing
    between builds (`--no-cache`), though a value put is still found again within the build."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._old: dict[str, tuple[Any, Any]] | None = None if path else {}
        self.used: dict[str, tuple[Any, Any]] = {}
        self.missed: set[str] = set()
        """Names asked for and not found current (`merge` drops their old entries)."""
        self.added = False

    @classmethod
    def holding(cls, entries: dict[str, tuple[Any, Any]]) -> Memo:
        """A memo of these (key, value) entries, kept in memory only (nothing is saved)."""
        memo = cls(None)
        memo.old = entries
        return memo

    @property
    def old(self) -> dict[str, tuple[Any, Any]]:
        """The entries the file held, read when first wanted: a build that never asks this
        memo (a prose edit takes its Papers from the snapshot) does not unpickle it."""
        if self._old is None:
            self._old = {}
            try:
                with open(self.path, "rb") as fh:  # type: ignore[arg-type] - set when _old is None
                    data = pickle.load(fh)
                if data.get("code") == code_key():
                    self._old = data["entries"]
            except Exception:  # noqa: BLE001 - an unreadable cache (any cause) is an empty one
                self._old = {}
        return self._old

    @old.setter
    def old(self, entries: dict[str, tuple[Any, Any]]) -> None:
        self._old = entries

    def get(self, name: str, key: Any) -> Any:
        """The value stored under ``name`` with this ``key`` (None: no key), else None."""
        entry = self.used.get(name) or self.old.get(name)
        if key is None or entry is None or entry[0] != key:
            self.missed.add(name)
            return None
        self.used[name] = entry
        return entry[1]

    def peek(self, name: str) -> Any:
        """The value stored under ``name`` whatever its key (the caller knows its inputs did not
        change: serve's watcher saw no change there), else None."""
        entry = self.used.get(name) or self.old.get(name)
        if entry is None:
            self.missed.add(name)
            return None
        self.used[name] = entry
        return entry[1]

    def roll(self) -> None:
        """After a build kept in memory (serve): what it used is what the next one finds."""
        self.old, self.used, self.added = self.used, {}, False
        self.missed = set()

    def merge(self) -> None:
        """After serve's quick rebuild (a few pages of a few months): what it used joins what
        the last full rebuild left, and nothing is dropped (it looked at too little to know)."""
        for name in self.missed - self.used.keys():  # stale: the next build must not peek it
            self.old.pop(name, None)
        self.old.update(self.used)
        self.used, self.added, self.missed = {}, False, set()

    def values(self) -> list[Any]:
        """Every value stored, used or not (a memo whose values share parts: the Markdown
        memo's code blocks)."""
        return [entry[1] for entry in (*self.old.values(), *self.used.values())]

    def put(self, name: str, key: Any, value: Any) -> None:
        if key is not None:
            self.used[name] = (key, value)
            self.added = True

    def save(self, merged: bool = False) -> None:
        """Write the entries this build used or added, when they differ from the file's;
        ``merged`` (a prose edit, which looked at a few months): those joined to the file's, as
        `merge` joins them, and nothing else dropped."""
        if self.path is None:
            return
        if merged:
            stale = any(name in self.old for name in self.missed - self.used.keys())
            if not (self.added or stale):
                return
            self.merge()
            entries = self.old
        elif not self.added and len(self.used) == len(self.old):
            return
        else:
            entries = self.used
        data = {"code": code_key(), "entries": entries}
        atomic_write(self.path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
