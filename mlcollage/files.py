"""The only ways mlcollage writes a file: atomically, or as a hard link to a frozen one."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

MARKER = ".mlcollage-site"
MARKER_TEXT = b"built by mlcollage; this folder is replaced by each build\n"
"""Written into every output folder: we only ever replace a folder that carries it (or is empty)."""


def remove_temp_files(folder: Path) -> int:
    """Remove the temp files of writes a killed build did not finish; returns how many."""
    n = 0
    for root, _, names in os.walk(folder):
        for name in names:
            if name.endswith(TEMP_SUFFIX):
                os.unlink(os.path.join(root, name))
                n += 1
    return n


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)  # figures/ files are replaced by rename, never rewritten in place
    except OSError:
        shutil.copyfile(src, dst)


TEMP_SUFFIX = ".mlcollage-tmp"
"""Ends every temp file `atomic_write` makes: what a killed build left is found by name."""


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a file by temp file + rename, so readers see the old or the new bytes, never half
    (and a file hard-linked elsewhere is replaced, never changed). ``durable=False`` skips the
    fsync: for files a crash may lose (serve's preview folder), not for results or slides."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
