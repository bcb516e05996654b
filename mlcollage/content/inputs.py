"""Reading an input file safely: a regular file inside the site, decoded as UTF-8, or a problem.

Every text mlcollage reads from `site_src/` (site.yaml, index.md, experiment.py) comes through
`read_text`, so a file that is not UTF-8, or a symlink that leads outside the site, is bad input
with a `path:line` message instead of a traceback or a published copy of `/etc/passwd`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

NOT_UTF8 = "expected UTF-8 text (re-save the file as UTF-8)"


def outside(path: str | Path, root: str | Path,
            known: dict[str, str] | None = None) -> str | None:
    """Where ``path`` really leads when that is outside ``root`` (a symlink out), else None.
    ``known``: real paths of folders found so far, by path (one load's: `Collector.realpaths`)."""
    if known is None:
        real, top = os.path.realpath(path), os.path.realpath(root)
    else:
        real, top = real_path(str(path), known), real_path(str(root), known)
    if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
        return None
    return real


def real_path(path: str, known: dict[str, str]) -> str:
    """`os.path.realpath(path)`, from its folder's real path in ``known`` (kept there) and an
    `lstat` of ``path`` itself: `realpath` does an `lstat` per component of the path, and every
    input of a site lies a few folders deep (~15 % of a cold load)."""
    real = known.get(path)
    if real is not None:
        return real
    folder, name = os.path.split(path)
    if not folder or name in ("", ".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    top = known.get(folder)
    if top is None:
        top = known[folder] = real_path(folder, known)
    return os.path.join(top, name)


def decode(path: Path, data: bytes) -> tuple[str | None, int, str]:
    """(text, 0, '') or (None, line, message) for bytes that are not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, 1, f"UTF-16 text (it starts with a UTF-16 byte-order mark); {NOT_UTF8}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        return None, line, f"not valid UTF-8 (byte 0x{byte} at column {column}); {NOT_UTF8}"
    return text.removeprefix("\ufeff"), 0, ""


def read_text(path: Path, root: Path, col: Any) -> str | None:
    """The text of ``path``; None after `col.add(path, line, message)` when it cannot be."""
    real = outside(path, root, getattr(col, "realpaths", None))
    if real is not None:
        col.add(path, 1, f"a symlink to {real}, outside the site; expected a file inside {root}")
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        col.add(path, 1, "is a folder; expected a file")
        return None
    except OSError as exc:
        col.add(path, 1, f"cannot be read ({exc.strerror}); expected a readable file")
        return None
    text, line, message = decode(path, data)
    if text is None:
        col.add(path, line, message)
    return text
