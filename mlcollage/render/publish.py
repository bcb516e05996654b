"""Write a rendered site into a temporary folder and swap it into place only when complete."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlcollage.files import MARKER, MARKER_TEXT, atomic_write, content_hash, link_or_copy
from mlcollage.model import Site

ASSET_DIR = "assets"
"""The theme's static files: templates/assets/ is published as assets/."""


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
            link_or_copy(src, os.path.join(base, rel))
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
    link_or_copy(src, dst)


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


def static_copies(theme: Path | Sequence[Path]) -> dict[str, Path]:
    """The theme's assets by output path; a file in an earlier folder overrides a later one's."""
    out: dict[str, Path] = {}
    for folder in reversed([theme] if isinstance(theme, Path) else list(theme)):
        assets = folder / ASSET_DIR
        if assets.is_dir():
            out |= {
                f"{ASSET_DIR}/{p.relative_to(assets).as_posix()}": p
                for p in sorted(assets.rglob("*"))
                if p.is_file()
            }
    return dict(sorted(out.items()))


BUNDLE_SKIP = {"index.md", "experiment.py"}


def bundle_copies(site: Site) -> dict[str, Path]:
    """Files that sit beside a paper's index.md (page-bundle resources) are published with it."""
    out = {}
    for paper in site.papers:
        if BUNDLE_SKIP.issuperset(os.listdir(paper.folder)):  # the usual case: nothing to copy
            continue
        for folder, subfolders, names in os.walk(paper.folder):
            subfolders[:] = [d for d in subfolders if not d.startswith((".", "_"))]
            for name in names:
                f = Path(folder, name)
                if (
                    name not in BUNDLE_SKIP
                    and not name.startswith((".", "_"))
                    and f.suffix != ".py"
                    and f.is_file()
                ):
                    out[f"{paper.url}{f.relative_to(paper.folder).as_posix()}"] = f
    return out


def publish_step(
    pages: Any, site: Site, slides: Any, store: Any, opts: Any, last: Mapping[str, Any]
) -> dict[str, str]:
    """Publish the pages, the theme's assets, page-bundle files and the slides; return each
    output file's content hash (recorded for the next build)."""
    from mlcollage.draw.step import slide_files

    files = {rel: data for rel, data in pages.files.items() if data is not None}
    copies = (
        static_copies(opts.theme)
        | bundle_copies(site)
        | slide_files(site, store, opts.mode, slides.images, slides.pdfs)
    )
    hashes = content_hashes(files, copies)
    for rel, data in pages.files.items():
        if data is None:  # not re-rendered: its inputs and so its bytes are the last build's
            hashes[rel] = last["files"][rel]
    if last:
        n = publish_changes(files, copies, opts.out_dir, last["files"], hashes)
        summary = f"mlcollage: updated {n} of {len(hashes)} files in {opts.out_dir}"
    else:
        publish(files, copies, opts.out_dir)
        summary = f"mlcollage: wrote {len(hashes)} files to {opts.out_dir}"
    if opts.verbosity >= 0:
        print(summary, file=sys.stderr)
    return hashes
