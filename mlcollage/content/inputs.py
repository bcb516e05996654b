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


def outside(path: str | Path, root: str | Path) -> str | None:
    """Where ``path`` really leads when that is outside ``root`` (a symlink out), else None."""
    real = os.path.realpath(path)
    top = os.path.realpath(root)
    if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
        return None
    return real


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
    real = outside(path, root)
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
