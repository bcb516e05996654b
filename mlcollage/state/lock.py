"""One build at a time per project: `.mlcollage/build.lock`, held with `flock` while it runs.

A second build (or a `serve` rebuild) waits for the first and says so; two writers never meet on
`figures/` or `_site/`. The kernel drops a `flock` when its process dies, so the lock of a killed
build is taken over at once (and the takeover is reported); the file only names the holder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

LOCK = "build.lock"


@contextlib.contextmanager
def build_lock(state_dir: Path, what: str = "build", create: bool = True) -> Iterator[bool]:
    """Hold the project's build lock for the block; wait (with a message) while another has it.

    Yields whether the last holder released it cleanly (False when it was killed, or when
    there is no lock file yet): only then may a killed build's temp files be left unsearched.
    ``create=False``: no lock where `.mlcollage/` does not exist yet (a folder with no site: the
    build only reports that, and writes nothing)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield False
        return
    if not create and not state_dir.is_dir():
        yield False
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    existed = (state_dir / LOCK).exists()
    fd = os.open(state_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd) or "another build"
            print(f"mlcollage: waiting for {holder} to finish (lock {state_dir / LOCK})",
                  file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
            stale = _holder(fd)  # still named: it was killed while we waited
        else:
            stale = _holder(fd)
            if stale:
                print(f"mlcollage: took over the lock of {stale}, which ended without "
                      "releasing it", file=sys.stderr)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} pid {os.getpid()} since {time.strftime('%H:%M:%S')}\n".encode(), 0)
        try:
            yield existed and not stale
        finally:
            os.ftruncate(fd, 0)  # released cleanly: an empty file is no holder
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
