"""Values computed from files, kept between builds under a key that changes when the files do.

The load step keeps each paper's validated `Paper` (`.mlcollage/load-cache.pickle`), so a rebuild
after editing one summary parses and validates only that file; the draw step keeps the key each
`slide.json` records and each slide's key by its inputs (`.mlcollage/slide-keys.pickle`). A file
is keyed by its (mtime, size, inode), and a whole cache by mlcollage's own sources and the
versions of the libraries that read and convert the files, so an edit, an upgrade or a code change
is a miss. Callers store only what was computed without a problem; entries a build did not use
are dropped when it saves.
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


@cache
def code_key() -> str:
    """Hash of mlcollage's modules, Python and the libraries that parse, convert and render."""
    from importlib import metadata

    h = hashlib.sha256(f"{VERSION}\0{sys.version}\0".encode())
    for dist in ("pyyaml", "markdown", "pygments", "latex2mathml", "jinja2"):
        try:
            h.update(f"{dist}={metadata.version(dist)}\0".encode())
        except metadata.PackageNotFoundError:
            pass
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class FileCache:
    """name -> (key, value) in a pickle under `.mlcollage/`; ``path=None`` caches nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.old: dict[str, tuple[Any, Any]] = {}
        self.used: dict[str, tuple[Any, Any]] = {}
        self.added = False
        if path is None:
            return
        try:
            with open(path, "rb") as fh:
                data = pickle.load(fh)
            if data.get("code") == code_key():
                self.old = data["entries"]
        except Exception:  # noqa: BLE001 - an unreadable cache (any cause) is an empty one
            self.old = {}

    def get(self, name: str, key: Any) -> Any:
        """The value stored under ``name`` with this ``key`` (None: no key), else None."""
        entry = self.old.get(name)
        if key is None or entry is None or entry[0] != key:
            return None
        self.used[name] = entry
        return entry[1]

    def put(self, name: str, key: Any, value: Any) -> None:
        if self.path is not None and key is not None:
            self.used[name] = (key, value)
            self.added = True

    def save(self) -> None:
        """Write the entries this build used or added, when they differ from the file's."""
        if self.path is None or (not self.added and len(self.used) == len(self.old)):
            return
        from .publish import atomic_write

        data = {"code": code_key(), "entries": self.used}
        atomic_write(self.path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
