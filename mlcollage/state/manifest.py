"""The build manifest: a fingerprint of every input, so a rebuild with nothing changed does nothing.

The fingerprint hashes the path, size and mtime of every file under `site_src/`, `templates/`,
`i18n/` and the packaged theme (like make) and the path and mtime of every folder there and
under `figures/`,
the options that change the output, the versions that matter, and today's date (a digest dated
in the future appears when its day comes). It is written after a successful build into
`.mlcollage/manifest.pickle` beside the project.

`figures/` is looked at folder by folder, not file by file (a tenth of the entries): a file
there is only ever replaced (mlcollage writes a temp file and renames it, `git` unlinks and
creates), and a replaced, added or removed file moves its folder's mtime. A file of `figures/`
rewritten in place by hand is not seen by the no-op check; `--force` builds anyway.

The no-op check does not walk the trees again: the last build saved the files and folders its
walk found (`.mlcollage/inputs.json`), and a stat of each of them gives the same fingerprint
while nothing was added or removed: an added or removed entry moves its folder's mtime, and a
listed path that is gone fails the check (`listed_fingerprints`). When no folder's mtime moved
(an edit in place) that is the fingerprint the build records, with no walk; only when the
listing is no longer whole is the tree walked.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import json
import operator
import os
import sys
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from mlcollage.files import MARKER, atomic_write, content_hash
from mlcollage.options import packaged_theme
from mlcollage.state.memo import path_mtimes

STATE_DIR = ".mlcollage"
SKIP = ("__pycache__", ".quick")


def _name(project: Path, root: Path) -> str:
    """How a root is listed: relative to the project when inside it (a stat of a shorter path
    is cheaper, and a copied project keeps its fingerprint), else absolute."""
    try:
        return str(root.relative_to(project))
    except ValueError:
        return str(root)


def _list(project: Path, root: str, folders_only: bool = False) -> tuple[list[str], list[str]]:
    """Every file and every folder under ``root`` (itself included; paths as `_name` gives
    them), each list sorted; ([], []) when it is missing."""
    top = project / root
    if not top.is_dir():
        return [], []
    files, dirs, stack = [], [root], [(str(top), root)]
    while stack:
        where, name = stack.pop()
        with os.scandir(where) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP:
                        stack.append((entry.path, f"{name}/{entry.name}"))
                        dirs.append(f"{name}/{entry.name}")
                elif not folders_only:
                    files.append(f"{name}/{entry.name}")
    files.sort()
    dirs.sort()
    return files, dirs


class Stamp(NamedTuple):
    """One root's stat (`_stamp`)."""

    data: bytes
    """What is hashed: each file's path, size and mtime, each folder's path and mtime."""
    folded: str
    """A hash of the folders' part alone: equal, no entry came or went (the listing is whole)."""
    numbers: bytes
    """The files' (size, mtime) pairs packed: which file changed (`Listed.changed`)."""
    racy_dir: bool
    """A folder's mtime lies in the racy window: an entry may have come unseen."""
    racy_files: tuple[str, ...]
    """The files whose mtime lies in the racy window: their stat alone proves nothing."""
    fresh: dict[str, str]
    """Content hashes of the files changed since ``fresh_from``: what the next check compares
    its racy files with (git's racily clean entries)."""


def _stamp(project: Path, root: str, files: list[str], dirs: list[str],
           racy: tuple[int, int] = (0, -1), fresh_from: int | None = None,
           numbers: array | None = None) -> Stamp:
    """Stat every listed file and folder of one root (relative to ``project``): see `Stamp`.
    ``racy``: a closed interval of mtimes (ns); ``fresh_from``: hash the content of the files
    whose mtime is at or after it; ``numbers``: their `_stat_numbers`, files then folders, if
    taken already. Raises OSError when one is gone.

    The numbers are packed as 64-bit integers and the paths joined once, all in C: at N=10000
    entries (37,000 paths) formatting a line per path took 40 ms of a 0.3 s no-op check."""
    if not dirs:
        if (project / root).exists():  # listed as missing, there now
            raise FileExistsError(root)
        return Stamp(f"missing\0{root}\n".encode(), "", b"", False, (), {})
    if numbers is None:
        numbers = _stat_numbers(project, [*files, *dirs])
    file_numbers = numbers[:2 * len(files)]
    dir_mtimes = numbers[2 * len(files) + 1::2]
    folders = b"".join([f"{len(dirs)}\n".encode(), "\0".join(dirs).encode(), b"\n",
                        dir_mtimes.tobytes()])
    data = b"".join([f"{len(files)}\n".encode(), "\0".join(files).encode(), b"\n",
                     file_numbers.tobytes(), b"\n", folders])
    lo, hi = racy
    file_mtimes = file_numbers[1::2]
    newest = max(file_mtimes, default=-1)
    racy_files: tuple[str, ...] = ()
    if newest >= lo:  # rare (a file changed about when the last build began): look closer
        racy_files = tuple(f for f, m in zip(files, file_mtimes, strict=True) if lo <= m <= hi)
    fresh = {}
    if fresh_from is not None and newest >= fresh_from:
        fresh = {f: _content_hash(project / f) for f, m in zip(files, file_mtimes, strict=True)
                 if m >= fresh_from}
    racy_dir = any(lo <= m <= hi for m in dir_mtimes) if max(dir_mtimes) >= lo else False
    return Stamp(data, hashlib.sha256(folders).hexdigest(), file_numbers.tobytes(), racy_dir,
                 racy_files, fresh)


PARALLEL_STATS = 8000
"""From this many paths on, `_stat_numbers` stats half of them in a forked process: a stat
costs 3-6 us here (most of it in the kernel), and an N=10000 listing holds 37,000 paths."""


def _stat_numbers(project: Path, paths: list[str]) -> array:
    """Each path's (size, mtime_ns), relative to ``project``, packed in order; OSError when
    one is gone. A long list is split over two processes (`PARALLEL_STATS`)."""
    import threading

    if len(paths) < PARALLEL_STATS or not hasattr(os, "fork") or threading.active_count() > 1:
        return _stat_serial(project, paths)
    half = len(paths) // 2
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the second half, then gone without running any cleanup
        try:
            os.close(read)
            try:
                data = b"\1" + _stat_serial(project, paths[half:]).tobytes()
            except OSError:
                data = b"\0"
            with os.fdopen(write, "wb") as fh:
                fh.write(data)
        finally:
            os._exit(0)
    os.close(write)
    try:
        numbers = _stat_serial(project, paths[:half])
    finally:
        with os.fdopen(read, "rb") as fh:
            data = fh.read()
        os.waitpid(pid, 0)
    if not data.startswith(b"\1"):
        raise FileNotFoundError("a listed path is gone")
    numbers.frombytes(data[1:])
    return numbers


def _stat_serial(project: Path, paths: list[str]) -> array:
    fd = os.open(project, os.O_RDONLY | os.O_DIRECTORY)
    try:
        stats = list(map(functools.partial(os.stat, dir_fd=fd), paths))
    finally:
        os.close(fd)
    return array("q", chain.from_iterable(map(_SIZE_MTIME, stats)))


def _content_hash(path: Path) -> str:
    """`files.content_hash` of the file's bytes ('' when it cannot be read)."""
    try:
        return content_hash(path.read_bytes())
    except OSError:
        return ""


_SIZE_MTIME = operator.attrgetter("st_size", "st_mtime_ns")


class Walk:
    """The files and folders a fingerprint covered, by root: the next no-op check stats just
    these (`listed_fingerprints`) instead of walking the trees again."""

    def __init__(self) -> None:
        self.roots: dict[str, tuple[list[str], list[str]]] = {}
        self.versions: dict[str, Any] = {}
        """The versions hashed, and the mtime of every `sys.path` folder when they were read."""
        self.started = self.ended = time.time_ns()
        """When the walk began and ended: a listed path changed about then may have changed
        again within the file system clock's tick, unseen (`RACY_NS`)."""
        self.folders: dict[str, str] = {}
        """Per root, the hash of its folders' lines (`_stamp`)."""
        self.stats: dict[str, bytes] = {}
        """Per root, its files' (size, mtime) pairs packed (`_stamp`)."""
        self.head = ""
        """A hash of the settings, versions and date hashed with the trees (`_head`)."""
        self.fresh: dict[str, str] = {}
        """Content hashes of the files changed about when the walk began (`Stamp.fresh`)."""
        self.windows: dict[str, tuple[int, int]] = {}
        """Per root, when it was listed and stat'ed (`figures/` is, at the end of a build that
        drew: what the build wrote before is no change in the same tick as that stat)."""

    def add(self, project: Path, root: Path, folders_only: bool = False) -> bytes:
        """List ``root`` and stat what it holds: its `_stamp` data."""
        name = _name(project, root)
        began = time.time_ns()
        files, dirs = self.roots[name] = _list(project, name, folders_only)
        stamp = _stamp(project, name, files, dirs, fresh_from=began - RACY_NS)
        self.folders[name], self.stats[name] = stamp.folded, stamp.numbers
        self.fresh.update(stamp.fresh)
        self.ended = time.time_ns()
        self.windows[name] = (began, self.ended)
        return stamp.data


RACY_NS = 100_000_000
"""A listed file or folder whose mtime is within this of the walk (its start to its end) is not
trusted to the stat alone (like git's racily clean entries): file system timestamps come from a
clock that ticks every few milliseconds, so a file rewritten, or an entry added, in the same
tick as the change the walk saw keeps the mtime the walk recorded. Such a folder sends the check
to a walk (it lists again); such a file is compared by content with the hash the walk took of
it (`Walk.fresh`), and counts as changed unless they are equal."""

_WALKS: dict[str, Walk] = {}
"""This process's walks by the fingerprint they gave (what `record` saves)."""


def _roots(project: Path) -> list[Path]:
    roots = [project / name for name in ("site_src", "templates", "i18n")]
    theme = packaged_theme()
    if theme != (project / "templates").resolve():  # an installed theme (a checkout's is above)
        roots.append(theme)
    return roots


def _versions(cached: Any = None) -> dict[str, Any]:
    """`keys.versions()` with the `sys.path` stamps they were read under; the ``cached`` ones
    (the last build's) while those stamps are unchanged: no package metadata is read."""
    stamps = path_mtimes()
    if isinstance(cached, dict) and cached.get("paths") == stamps:
        return cached
    from mlcollage.state.keys import versions

    return {"paths": stamps, "versions": versions()}


def _head(settings: dict[str, Any], versions: dict[str, str]) -> str:
    return json.dumps({"settings": settings, "versions": versions,
                       "today": dt.date.today().isoformat()}, sort_keys=True, default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _source_hash(head: str, parts: Iterable[bytes]) -> str:
    """`source_fingerprint` from the head and each root's `_stamp` data, in `_roots` order."""
    h = hashlib.sha256(head.encode())
    for data in parts:
        h.update(data)
    return h.hexdigest()


def _combined_hash(source_fp: str, figures: bytes) -> str:
    """`fingerprint` from the sources' and the `figures/` root's `_stamp` data."""
    h = hashlib.sha256(source_fp.encode())
    h.update(figures)
    return h.hexdigest()


def source_fingerprint(project: Path, settings: dict[str, Any]) -> str:
    """Hash of what the user edits (site_src/, templates/), the options, versions and the date."""
    walk = Walk()
    walk.versions = _versions()
    head = _head(settings, walk.versions["versions"])
    walk.head = _digest(head)
    fp = _source_hash(head, [walk.add(project, root) for root in _roots(project)])
    _WALKS[fp] = walk
    return fp


def _figures(project: Path, quick: bool) -> Path:
    return project / "figures" / ".quick" if quick else project / "figures"


def fingerprint(project: Path, source_fp: str, quick: bool) -> str:
    """The sources' fingerprint combined with `figures/` (results and slides the build reads):
    the path and mtime of every folder in it."""
    walk = Walk()
    fp = _combined_hash(source_fp, walk.add(project, _figures(project, quick), folders_only=True))
    if source_fp in _WALKS:
        walk.roots = {**_WALKS[source_fp].roots, **walk.roots}
        walk.folders = {**_WALKS[source_fp].folders, **walk.folders}
        walk.stats = {**_WALKS[source_fp].stats, **walk.stats}
        walk.head = _WALKS[source_fp].head
        walk.fresh = {**_WALKS[source_fp].fresh, **walk.fresh}
        walk.windows = {**_WALKS[source_fp].windows, **walk.windows}
        walk.versions = _WALKS[source_fp].versions
        walk.started = min(walk.started, _WALKS[source_fp].started)
        _WALKS[fp] = walk
    return fp


@dataclass(frozen=True)
class Listed:
    """What `listed_fingerprints` found: the two fingerprints, and whether the listing is
    still whole (no folder's mtime moved: no entry came or went), so that they are exactly
    what a walk would give and the build needs no walk."""

    source_fp: str
    fp: str
    whole: bool
    changed: tuple[str, ...] | None = None
    """When whole and hashed with the last build's settings, versions and date: the files
    (project-relative, as listed) whose size or mtime moved since, or that are racy (`RACY_NS`)
    and whose content changed; else None (not known)."""
    trusted: bool = True
    """False when a racy file's content changed while its stat did not: the fingerprints are
    equal to the last build's, and yet that build is not this one (no no-op)."""


def listed_fingerprints(project: Path, out: Path, settings: dict[str, Any],
                        quick: bool) -> Listed | None:
    """The fingerprints `source_fingerprint` and `fingerprint` would give, from a stat of just
    the files and folders the last build's walk found (no folder is listed again: one added or
    removed moves its folder's mtime). None when there is no such list, when one of them is
    gone, or when a folder changed about when that walk began (`RACY_NS`): then walk."""
    started = time.time_ns()
    try:
        listed = json.loads(walked_path(project).read_text(encoding="utf-8"))[str(out.absolute())]
        roots = [_name(project, r) for r in _roots(project)]
        figures = _name(project, _figures(project, quick))
        if sorted(listed["roots"]) != sorted([*roots, figures]):
            return None
        versions = _versions(listed.get("versions"))
        windows = listed.get("windows") if isinstance(listed.get("windows"), dict) else {}
        order = [*roots, figures]
        numbers = _stat_numbers(project, [p for root in order for part in listed["roots"][root]
                                          for p in part])  # all at once: over two processes
        stamps, at = {}, 0
        for root in order:
            files, dirs = listed["roots"][root]
            end = at + 2 * (len(files) + len(dirs))
            began, ended = windows.get(root) or (listed["started"], listed["ended"])
            stamps[root] = _stamp(project, root, files, dirs, (began - RACY_NS, ended + RACY_NS),
                                  fresh_from=started - RACY_NS, numbers=numbers[at:end])
            at = end
        if any(stamp.racy_dir for stamp in stamps.values()):
            return None
        head = _head(settings, versions["versions"])
        source_fp = _source_hash(head, [stamps[root].data for root in roots])
        fp = _combined_hash(source_fp, stamps[figures].data)
        folders = {root: stamp.folded for root, stamp in stamps.items()}
        whole = folders == listed["folders"]
        stats = {root: stamp.numbers for root, stamp in stamps.items()}
        recorded = listed.get("fresh") if isinstance(listed.get("fresh"), dict) else {}
        racy = [f for stamp in stamps.values() for f in stamp.racy_files
                if recorded.get(f) is None or recorded[f] != _content_hash(project / f)]
        changed = None
        if whole and listed.get("head") == _digest(head) and isinstance(listed.get("stats"), dict):
            changed = _changed(listed, stats)
            if changed is not None:
                changed = tuple(dict.fromkeys([*changed, *racy]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    result = Listed(source_fp, fp, whole, changed, trusted=not racy)
    if whole:  # what `record` saves after this build, as if it had walked
        walk = Walk()
        walk.roots = {root: tuple(listed["roots"][root]) for root in [*roots, figures]}
        walk.folders, walk.versions, walk.started = folders, versions, started
        walk.stats, walk.head = stats, _digest(head)
        walk.fresh = {f: h for stamp in stamps.values() for f, h in stamp.fresh.items()}
        walk.windows = dict.fromkeys(order, (started, time.time_ns()))
        _WALKS[result.source_fp] = _WALKS[result.fp] = walk
    return result


def _changed(listed: dict[str, Any], stats: dict[str, bytes]) -> tuple[str, ...] | None:
    """The listed files whose packed (size, mtime) differs from the recorded; None when a
    root's record is missing or of another length."""
    out: list[str] = []
    for root, now in stats.items():
        then = base64.b64decode(listed["stats"].get(root, ""))
        if then == now:
            continue
        if len(then) != len(now):
            return None
        was, isnow = array("q", then), array("q", now)
        files = listed["roots"][root][0]
        out += [files[i // 2] for i in range(0, len(now) // 8, 2)
                if was[i] != isnow[i] or was[i + 1] != isnow[i + 1]]
    return tuple(out)


def manifest_path(project: Path) -> Path:
    return project / STATE_DIR / "manifest.pickle"


_READ: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
"""The manifest this process last read or wrote, by path, with the stat it had then: a build
reads it when it opens its state and again when it records (under the build lock, so nobody
else wrote it in between); at N=10000 it holds ~260,000 hashes."""


def read_manifest(project: Path) -> dict[str, Any]:
    """The manifest, a pickle: ~4× faster to read and write than the JSON it was (a prose edit
    at N=10000 read it twice and wrote it once: 0.41 s). Any failure to read it (missing, cut
    short, another Python's): no last build."""
    import pickle

    path = manifest_path(project)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            kept = _READ.get(str(path))
            if kept is not None and kept[0] == stamp:
                return kept[1]
            data = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a disposable cache: unreadable (any cause) is none
        return {}
    if not isinstance(data, dict):
        return {}
    _READ[str(path)] = (stamp, data)
    return data


def _write_manifest(project: Path, data: dict[str, Any]) -> None:
    import pickle

    path = manifest_path(project)
    atomic_write(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    st = os.stat(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path.with_name("manifest.json"))  # what versions before the pickle wrote
    _READ[str(path)] = ((st.st_mtime_ns, st.st_size, st.st_ino), data)


def walked_path(project: Path) -> Path:
    """Per output folder, the files and folders the last build's fingerprint covered, by root
    (`listed_fingerprints`)."""
    return project / STATE_DIR / "inputs.json"


def fingerprints_path(project: Path) -> Path:
    """Per output folder, the last build's fingerprint alone: the no-op check reads this small
    file, not the manifest (every output file's hash)."""
    return project / STATE_DIR / "fingerprints.json"


def up_to_date(project: Path, out: Path, fp: str) -> bool:
    """True when the last successful build had the same inputs and its output is still there."""
    try:
        builds = json.loads(fingerprints_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    entry = builds.get(str(out.absolute())) if isinstance(builds, dict) else None
    if not entry or entry.get("fingerprint") != fp:
        return False
    try:
        marker = (out / MARKER).stat()
    except OSError:
        return False
    return entry.get("marker_mtime_ns") == marker.st_mtime_ns


def record(project: Path, out: Path, fp: str, files: dict[str, str], pages: dict[str, str],
           trees: dict[str, dict[str, str]] | None = None, snapshot: str | None = None) -> None:
    """Remember this build: its fingerprint, each output file's content hash, each page's key,
    and which snapshot (`BuildState.read_snapshot`) its prose edits re-render from."""
    data = dict(read_manifest(project))  # the kept one is not changed in place
    builds = data["builds"] = dict(data.get("builds") or {})
    marker = (out / MARKER).stat().st_mtime_ns
    builds[str(out.absolute())] = {
        "fingerprint": fp,
        "marker_mtime_ns": marker,
        "files": files,
        "pages": pages,
        # the live folder holds `files`: named, not repeated
        "trees": {ino: "files" if held == files else held for ino, held in (trees or {}).items()},
        "snapshot": snapshot,
    }
    _write_manifest(project, data)
    _record_walk(project, out, fp)
    short = {path: {k: entry.get(k) for k in ("fingerprint", "marker_mtime_ns")}
             for path, entry in builds.items()}  # after the manifest: never ahead of it
    atomic_write(fingerprints_path(project), json.dumps(short, sort_keys=True).encode())


def _record_walk(project: Path, out: Path, fp: str) -> None:
    """Save the walk that gave ``fp`` (before the fingerprint: never behind it)."""
    walk = _WALKS.get(fp)
    try:
        data = json.loads(walked_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    if walk is None:
        data.pop(str(out.absolute()), None)
    else:
        data[str(out.absolute())] = {
            "roots": walk.roots, "versions": walk.versions, "started": walk.started,
            "ended": walk.ended, "folders": walk.folders, "head": walk.head, "fresh": walk.fresh,
            "windows": walk.windows,
            "stats": {root: base64.b64encode(b).decode() for root, b in walk.stats.items()}}
    atomic_write(walked_path(project), json.dumps(data, sort_keys=True).encode())


def previous_build(project: Path, out: Path) -> dict[str, Any]:
    """The last successful build into ``out``: {"files": {path: hash}, "pages": {path: key}}."""
    entry = read_manifest(project).get("builds", {}).get(str(out.absolute()), {})
    if not isinstance(entry.get("files"), dict) or not isinstance(entry.get("pages"), dict):
        return {}
    entry = dict(entry)  # the kept manifest is not changed in place
    trees = entry.get("trees") if isinstance(entry.get("trees"), dict) else {}
    entry["trees"] = {ino: entry["files"] if held == "files" else held
                      for ino, held in trees.items() if held == "files" or isinstance(held, dict)}
    return entry


def build_settings(opts: Any, extra_head: str = "", defer_runs: bool = False) -> dict[str, Any]:
    """The options that change a build's output (part of the fingerprint)."""
    return {
        "quick": opts.quick,
        "drafts": opts.drafts,
        "future": opts.future,
        "base_url": opts.base_url,
        "head": extra_head,
        "defer": defer_runs,
        "strict": opts.strict,
        "keep_going": opts.keep_going,
        "only": list(opts.only),
    }


def nothing_to_do(opts: Any, fp: str) -> bool:
    """True (and says so) when the last build had exactly these inputs (``fp``): a no-op."""
    if opts.force or opts.no_cache or opts.no_run:
        return False
    if not up_to_date(opts.project, opts.out_dir, fp):
        return False
    print(f"mlcollage: nothing changed; {opts.out_dir} is up to date", file=sys.stderr)
    return True
