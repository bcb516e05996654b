"""Client-side search: index the rendered site with Pagefind (its binary ships in `pagefind[bin]`).

Indexing runs on the assembled site before it is swapped into place, so the index always
matches the pages; only elements marked `data-pagefind-body` (digest and paper pages) count.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class SearchIndexError(Exception):
    """Pagefind failed; the build fails and the previous site stays."""


def index_site(folder: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(folder),
        "--output-subdir",
        "pagefind",
        "--keep-index-url",
        "--silent",
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexError(f"pagefind could not run: {exc}") from None
    if out.returncode != 0:
        raise SearchIndexError(f"pagefind failed ({out.returncode}): {out.stderr.strip()[:500]}")
