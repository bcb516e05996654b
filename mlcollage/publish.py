"""Write a rendered site into a temporary folder and swap it into place only when complete."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

MARKER = ".mlcollage-site"
MARKER_TEXT = b"built by mlcollage; this folder is replaced by each build\n"
"""Written into every output folder: we only ever replace a folder that carries it (or is empty)."""


class OutputError(Exception):
    """The output folder cannot be replaced safely."""


def check_output(out: Path) -> None:
    """Refuse to replace a folder we did not create (e.g. `--out .` by mistake)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; expected a folder for the site")
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        raise OutputError(
            f"{out}: not empty and not made by mlcollage (no {MARKER}); "
            "expected an empty folder or a previous build's output"
        )


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def content_hashes(files: Mapping[str, bytes], copies: Mapping[str, str | Path]) -> dict[str, str]:
    """Output path -> a hash that changes when the file would: bytes, or the copied file's stat."""
    out = {rel: content_hash(data) for rel, data in files.items()}
    for rel, src in copies.items():
        st = os.stat(src)
        out[rel] = f"copy:{src}:{st.st_size}:{st.st_mtime_ns}"
    return out


def publish(
    files: Mapping[str, bytes],
    copies: Mapping[str, str | Path],
    out: Path,
) -> None:
    """Write ``files`` and copy ``copies`` (relative path -> source file) into ``out`` atomically.

    The new site is assembled beside ``out`` and renamed into place; on any error the temporary
    folder is removed and ``out`` is left exactly as it was.
    """
    out = Path(out).absolute()
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)
        base = str(tmp)  # plain strings and os calls: Path objects cost more than the syscalls
        for folder in _folders([*files, *copies]):
            os.mkdir(os.path.join(base, folder))
        for rel, data in {**files, MARKER: MARKER_TEXT}.items():
            with open(os.path.join(base, rel), "wb") as fh:
                fh.write(data)
        for rel, src in copies.items():
            _link_or_copy(src, os.path.join(base, rel))
        swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish_changes(
    files: Mapping[str, bytes],
    copies: Mapping[str, str | Path],
    out: Path,
    previous: Mapping[str, str],
    hashes: Mapping[str, str],
) -> int:
    """Update a previous build in place: write only what changed, each file atomically, and
    remove what is gone. Returns the number of files written or removed."""
    out = Path(out).absolute()
    check_output(out)
    made: set[Path] = set()
    changed = 0
    base = str(out)
    for rel, h in sorted(hashes.items()):
        if previous.get(rel) == h and os.path.exists(os.path.join(base, rel)):  # no Path: 6000+
            continue
        changed += 1
        _mkdir((out / rel).parent, made)
        if rel in files:
            atomic_write(out / rel, files[rel])
        else:
            tmp = out / rel
            tmp = tmp.with_name(f".{tmp.name}.tmp-{os.getpid()}")
            _copy(copies[rel], tmp, made)
            os.replace(tmp, out / rel)
            tmp.unlink(missing_ok=True)  # still there if both were links to one file (touched)
    for rel in sorted(set(previous) - set(hashes)):
        (out / rel).unlink(missing_ok=True)
        changed += 1
    atomic_write(out / MARKER, MARKER_TEXT)
    return changed


def _mkdir(path: Path, made: set[Path]) -> None:
    if path not in made:
        path.mkdir(parents=True, exist_ok=True)
        made.add(path)



def _folders(paths: list[str]) -> list[str]:
    """Every folder the relative ``paths`` need, parents first."""
    out = set()
    for rel in paths:
        folder = os.path.dirname(rel)
        while folder and folder not in out:
            out.add(folder)
            folder = os.path.dirname(folder)
    return sorted(out)  # "a" sorts before "a/b"


def _copy(src: str | Path, dst: Path, made: set[Path]) -> None:
    _mkdir(dst.parent, made)
    _link_or_copy(src, dst)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)  # figures/ files are replaced by rename, never rewritten in place
    except OSError:
        shutil.copyfile(src, dst)


def swap(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``; the previous ``out`` is removed only after the rename succeeded."""
    if not out.exists():
        os.rename(new, out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file by temp file + rename, so readers see the old or the new bytes, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
