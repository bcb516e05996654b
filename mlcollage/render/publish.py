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


def staging(out: Path, state_dir: Path | None) -> tuple[Path, str]:
    """(folder, name prefix) for the standby and temporary site folders of ``out``: in
    `.mlcollage/publish/` where that is on the same file system as ``out`` (a rename cannot
    cross one), else beside ``out``. The prefix names ``out`` by its path: one state folder may
    serve several output folders (`--out`, `serve`)."""
    import hashlib

    out = Path(out).absolute()
    tag = hashlib.blake2b(str(out).encode(), digest_size=4).hexdigest()
    if state_dir is not None:
        folder = state_dir / "publish"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.stat(folder).st_dev == os.stat(out.parent).st_dev:
                return folder, f".{out.name}-{tag}"
        except OSError:
            pass
    return out.parent, f".{out.name}-{tag}"


def fresh_folder(out: Path, state_dir: Path | None) -> Path:
    """An empty folder to write the whole new site of ``out`` into before `publish` swaps it in
    (a cold build's render workers write their pages there). Named as `publish` names its own
    temporary folders, so a killed build's is removed by the next one (`remove_leftovers`)."""
    out = Path(out).absolute()
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder, prefix = staging(out, state_dir)
    remove_leftovers(out, folder, prefix)
    target = Path(tempfile.mkdtemp(prefix=f"{prefix}.tmp-", dir=folder))
    os.chmod(target, 0o755)
    return target


def write_files(folder: str | Path, files: Mapping[str, bytes | None]) -> dict[str, str]:
    """Write ``files`` (path -> bytes; None: skipped) under ``folder``; their content hashes."""
    base, made, hashes = str(folder), set(), {}
    for rel, data in files.items():
        if data is None:
            continue
        dst = os.path.join(base, rel)
        parent = os.path.dirname(dst)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(dst, "wb") as fh:
            fh.write(data)
        hashes[rel] = content_hash(data)
    return hashes


def publish(
    files: Mapping[str, bytes],
    copies: Mapping[str, str | Path],
    out: Path,
    hashes: Mapping[str, str] | None = None,
    trees: Mapping[str, Mapping[str, str]] | None = None,
    state_dir: Path | None = None,
    written: Path | None = None,
) -> dict[str, dict[str, str]]:
    """Make ``out`` the site of ``hashes`` in one step: the new site is complete in a folder
    beside ``out`` before `exchange` swaps the two (`renameat2(RENAME_EXCHANGE)`), so ``out`` is
    always a whole site, the old or the new one.

    ``files``: path -> bytes to write; ``copies``: path -> a file to hard-link; a path of
    ``hashes`` in neither keeps the live site's bytes (a page that was not re-rendered).
    ``trees``: what each site folder (by inode) held, as the last build recorded it. When the
    standby folder (the site before the live one) is known, only what differs from it is
    written, so an edit costs what it changes; otherwise the site is written in full. The
    standby lives in ``state_dir``/publish/ (see `staging`). Returns the record of both folders
    for the next build.

    ``written``: a `fresh_folder` that already holds the paths of ``hashes`` in neither
    ``files`` nor ``copies`` (written by the render workers); it becomes the new site.
    """
    out = Path(out).absolute()
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder, prefix = staging(out, state_dir)
    if written is None:
        remove_leftovers(out, folder, prefix)
    hashes = dict(hashes) if hashes is not None else content_hashes(files, copies)
    trees = dict(trees or {})
    live = _ino(out)
    standby = folder / f"{prefix}.standby"
    known = trees.get(str(_ino(standby))) if (standby / MARKER).exists() else None
    if written is not None or known is None:
        if standby.exists():
            shutil.rmtree(standby)  # unknown (a killed build's, or no record): not trusted
        target = written or Path(tempfile.mkdtemp(prefix=f"{prefix}.tmp-", dir=folder))
        os.chmod(target, 0o755)
        known = {}
    else:
        os.unlink(standby / MARKER)  # from here until the swap, the standby is incomplete
        target = standby
    todo = hashes if written is None else {
        rel: h for rel, h in hashes.items() if rel in files or rel in copies}
    try:
        _update(target, out, files, copies, todo, known, trees.get(str(live), {}))
        atomic_write(target / MARKER, MARKER_TEXT)
        exchange(target, out)
    except BaseException:
        if target != standby:
            shutil.rmtree(target, ignore_errors=True)
        raise
    record = {str(_ino(out)): hashes}
    if live is not None and str(live) in trees:
        if target != standby:
            os.rename(target, standby)  # the old site, recorded: the next build's standby
        record[str(live)] = dict(trees[str(live)])
    elif target.exists():
        shutil.rmtree(target, ignore_errors=True)
    return record


def _ino(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _update(
    target: Path,
    live: Path,
    files: Mapping[str, bytes],
    copies: Mapping[str, str | Path],
    hashes: Mapping[str, str],
    known: Mapping[str, str],
    live_known: Mapping[str, str],
) -> None:
    """Bring ``target`` (holding ``known``) to ``hashes``; remove what is gone, and folders
    left empty. A file the live site (holding ``live_known``) has with the same bytes is a hard
    link to it: an unchanged file keeps its inode from build to build."""
    base, live_base = str(target), str(live)
    made: set[str] = set()
    prefix = base + os.sep  # a site-relative path joins as a string: 65,000 files at N=10000
    for rel, h in hashes.items():
        dst = prefix + rel
        if known.get(rel) == h and os.path.exists(dst):
            continue
        folder = os.path.dirname(dst)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        same = live_known.get(rel) == h
        if not known:  # a fresh folder: nothing to replace
            _put(rel, dst, files, copies, live_base, same)
            continue
        tmp = os.path.join(folder, f".{os.path.basename(rel)}.tmp-{os.getpid()}")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        _put(rel, tmp, files, copies, live_base, same)
        os.replace(tmp, dst)  # never in place: the live site shares these files' inodes
        if os.path.lexists(tmp):
            os.unlink(tmp)  # still there if both were links to one file
    for rel in sorted(set(known) - set(hashes)):
        path = os.path.join(base, rel)
        if os.path.lexists(path):
            os.unlink(path)
        folder = os.path.dirname(path)
        while folder != base and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)  # a draft's emptied folders go too
            folder = os.path.dirname(folder)


def _put(rel: str, dst: str, files: Mapping[str, bytes], copies: Mapping[str, str | Path],
         live: str, same: bool) -> None:
    if same and os.path.isfile(os.path.join(live, rel)):
        os.link(os.path.join(live, rel), dst)  # live files are replaced by rename, never edited
    elif rel in files:
        with open(dst, "wb") as fh:
            fh.write(files[rel])
    elif rel in copies:
        link_or_copy(copies[rel], dst)
    else:  # not re-rendered: the live site's bytes (replaced by rename only, so never changing)
        link_or_copy(os.path.join(live, rel), dst)


def remove_leftovers(out: Path, folder: Path, prefix: str) -> None:
    """What a killed build left: half-written folders (``prefix``.tmp-* in ``folder``); a site
    that the two-rename fallback of `exchange` had moved aside is put back."""
    for path in sorted(out.parent.glob(f".{out.name}.old-*")):
        if out.exists():
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.rename(path, out)
    for path in folder.glob(f"{prefix}.tmp-*"):
        shutil.rmtree(path, ignore_errors=True)


def exchange(new: Path, out: Path) -> None:
    """Swap ``new`` and ``out`` in one step (Linux `renameat2(RENAME_EXCHANGE)`); ``new`` then
    holds the previous site. Where that call is missing (not Linux, a file system without it)
    two renames do it, and `remove_leftovers` repairs a kill between them."""
    if not os.path.lexists(out):
        os.rename(new, out)
        return
    if _renameat2(new, out):
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise
    os.rename(old, new)


RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2(a: Path, b: Path) -> bool:
    """True when the kernel swapped ``a`` and ``b`` atomically; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl without it
        return False
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def static_copies(theme: Path | Sequence[Path]) -> dict[str, Path]:
    """The theme's assets by output path; a file in an earlier folder overrides a later one's.
    A symlink out of its folder is skipped with a warning."""
    out: dict[str, Path] = {}
    for folder in reversed([theme] if isinstance(theme, Path) else list(theme)):
        assets = folder / ASSET_DIR
        if assets.is_dir():
            out |= {
                f"{ASSET_DIR}/{p.relative_to(assets).as_posix()}": p
                for p in sorted(assets.rglob("*"))
                if inside(p, folder) and p.is_file()
            }
    return dict(sorted(out.items()))


BUNDLE_SKIP = {"index.md", "experiment.py"}


def _translation(name: str) -> bool:
    """`index.<lang>.md`: a translation of the entry, not a file published with it."""
    return name.startswith("index.") and name.endswith(".md")


def bundle_copies(site: Site, tree: str = "") -> dict[str, Path]:
    """Files that sit beside a paper's index.md (page-bundle resources) are published with it,
    in each language's tree (``tree``: 'zh-CN/' for that language's)."""
    out = {}
    for paper in site.papers:
        if all(n in BUNDLE_SKIP or _translation(n) for n in os.listdir(paper.folder)):
            continue
        for folder, subfolders, names in os.walk(paper.folder):
            subfolders[:] = [d for d in subfolders if not d.startswith((".", "_"))]
            for name in names:
                f = Path(folder, name)
                if (
                    name not in BUNDLE_SKIP
                    and not _translation(name)
                    and not name.startswith((".", "_"))
                    and f.suffix != ".py"
                    and inside(f, site.root)
                    and f.is_file()
                ):
                    out[f"{tree}{paper.url}{f.relative_to(paper.folder).as_posix()}"] = f
    return out


def inside(path: Path, root: Path) -> bool:
    """False, with a warning, for a symlink that leads outside ``root``: it is never published
    (on a machine that builds contributors' entries, a link to /etc/passwd would publish it)."""
    from mlcollage.content.inputs import outside

    if not os.path.islink(path):
        return True
    real = outside(path, root)
    if real is not None:
        print(f"warning: {path}: a symlink to {real}, outside the site; not published",
              file=sys.stderr)
    return real is None


def publish_step(
    pages: Any, site: Site, slides: Any, store: Any, opts: Any, last: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Publish the pages, the theme's assets, page-bundle files and the slides; return each
    output file's content hash and the record of the site folders (kept for the next build).
    Pages the render workers wrote (``pages.written``) are in their folder already: it becomes
    the new site, or is removed if anything fails."""
    written = getattr(pages, "folder", None)
    try:
        return _publish_step(pages, site, slides, store, opts, last, written)
    except BaseException:
        if written is not None:
            shutil.rmtree(written, ignore_errors=True)
        raise


def _publish_step(
    pages: Any, site: Site, slides: Any, store: Any, opts: Any, last: Mapping[str, Any],
    written: Path | None,
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    from mlcollage.draw.step import slide_files

    files = {rel: data for rel, data in pages.files.items() if data is not None}
    copies = static_copies(opts.theme)
    for lang_site in site.languages():
        sub = lang_site.prefix.rstrip("/")
        images, pdfs = slides.for_language(lang_site.lang)
        copies |= bundle_copies(site, lang_site.prefix)
        copies |= slide_files(site, store, opts.mode, images, pdfs, sub)
    done = getattr(pages, "written", {})
    hashes = {**done, **content_hashes(files, copies)}  # as serially: a copy's hash wins...
    for rel, data in pages.files.items():
        if data is None:  # not re-rendered: its inputs and so its bytes are the last build's
            hashes[rel] = last["files"][rel]
    if getattr(pages, "html", None) is not None:  # a relative link to no file: bad input
        from mlcollage.model import InputError
        from mlcollage.render.links import broken

        outputs = hashes.keys() | {MARKER}
        same = outputs == last.get("files", {}).keys() | {MARKER}  # no page or file came or went
        current = {rel for rel, data in pages.files.items() if data is None} if same else ()
        problems = broken(site, pages.html, outputs, current)
        if problems:
            raise InputError(problems)
    previous = last.get("trees") if isinstance(last.get("trees"), dict) else {}
    state_dir = None if opts.no_cache else opts.state_dir
    if done:  # ...and the page's bytes are the file (`_put` prefers them)
        copies = {rel: src for rel, src in copies.items() if rel not in done}
    trees = publish(files, copies, opts.out_dir, hashes, previous, state_dir, written)
    if opts.verbosity >= 0:
        print(f"mlcollage: published {len(hashes)} files to {opts.out_dir}", file=sys.stderr)
    return hashes, trees
