"""The build manifest: a fingerprint of every input, so a rebuild with nothing changed does nothing.

The fingerprint hashes the path, size and mtime of every file under `site_src/`, `templates/`,
`i18n/` and the packaged theme (like make), the path and mtime of every folder under `figures/`,
the options that change the output, the versions that matter, and today's date (a digest dated
in the future appears when its day comes). It is written after a successful build into
`.mlcollage/manifest.json` beside the project.

`figures/` is looked at folder by folder, not file by file (a tenth of the entries): a file
there is only ever replaced (mlcollage writes a temp file and renames it, `git` unlinks and
creates), and a replaced, added or removed file moves its folder's mtime. A file of `figures/`
rewritten in place by hand is not seen by the no-op check; `--force` builds anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from mlcollage.files import MARKER, atomic_write
from mlcollage.options import packaged_theme

STATE_DIR = ".mlcollage"


def _walk(root: Path, h: Any) -> None:
    if not root.exists():
        h.update(b"missing\0")
        return
    stack = [str(root)]
    entries = []
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.name in ("__pycache__", ".quick") and entry.is_dir():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    st = entry.stat()
                    entries.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}")
    if entries:  # one update: the same bytes as a line at a time, at a fraction of the calls
        entries.sort()
        h.update("\n".join(entries).encode() + b"\n")


def _walk_folders(root: Path, h: Any) -> None:
    """Like `_walk`, for folders only: each folder's path and mtime."""
    try:
        entries = [f"{root}\0{os.stat(root).st_mtime_ns}"]
    except FileNotFoundError:
        h.update(b"missing\0")
        return
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False) and entry.name not in (
                        "__pycache__", ".quick"):
                    stack.append(entry.path)
                    entries.append(f"{entry.path}\0{entry.stat().st_mtime_ns}")
    entries.sort()
    h.update(b"folders\0" + "\n".join(entries).encode() + b"\n")


def source_fingerprint(project: Path, settings: dict[str, Any]) -> str:
    """Hash of what the user edits (site_src/, templates/), the options, versions and the date."""
    from mlcollage.state.keys import versions

    h = hashlib.sha256()
    h.update(
        json.dumps(
            {"settings": settings, "versions": versions(), "today": dt.date.today().isoformat()},
            sort_keys=True,
            default=str,
        ).encode()
    )
    for name in ("site_src", "templates", "i18n"):
        _walk(project / name, h)
    theme = packaged_theme()
    if theme != (project / "templates").resolve():  # an installed theme (a checkout's is above)
        _walk(theme, h)
    return h.hexdigest()


def fingerprint(project: Path, source_fp: str, quick: bool) -> str:
    """The sources' fingerprint combined with `figures/` (results and slides the build reads)."""
    h = hashlib.sha256(source_fp.encode())
    _walk_folders(project / "figures" / ".quick" if quick else project / "figures", h)
    return h.hexdigest()


def manifest_path(project: Path) -> Path:
    return project / STATE_DIR / "manifest.json"


def read_manifest(project: Path) -> dict[str, Any]:
    try:
        data = json.loads(manifest_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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
           trees: dict[str, dict[str, str]] | None = None) -> None:
    """Remember this build: its fingerprint, each output file's content hash, each page's key."""
    data = read_manifest(project)
    builds = data.setdefault("builds", {})
    marker = (out / MARKER).stat().st_mtime_ns
    builds[str(out.absolute())] = {
        "fingerprint": fp,
        "marker_mtime_ns": marker,
        "files": files,
        "pages": pages,
        # the live folder holds `files`: named, not repeated
        "trees": {ino: "files" if held == files else held for ino, held in (trees or {}).items()},
    }
    atomic_write(manifest_path(project), json.dumps(data, sort_keys=True).encode())
    short = {path: {k: entry.get(k) for k in ("fingerprint", "marker_mtime_ns")}
             for path, entry in builds.items()}  # after the manifest: never ahead of it
    atomic_write(fingerprints_path(project), json.dumps(short, sort_keys=True).encode())


def previous_build(project: Path, out: Path) -> dict[str, Any]:
    """The last successful build into ``out``: {"files": {path: hash}, "pages": {path: key}}."""
    entry = read_manifest(project).get("builds", {}).get(str(out.absolute()), {})
    if not isinstance(entry.get("files"), dict) or not isinstance(entry.get("pages"), dict):
        return {}
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
