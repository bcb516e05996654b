"""Freeze the starter's example results into the package: `python scripts/freeze_starter.py`.

`mlcollage init` copies mlcollage/content/skeletons/new-site/figures/ beside the example paper, so
that a new site publishes with `build --no-run` before torch is installed. Run this after an
edit to the starter experiment (tests/test_init.py fails until then): it starts a site in a
temporary folder, builds it (running the example's seeds and its control), and copies the
results back (slides are left out: they are drawn on the user's machine).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from mlcollage.cli import main as cli
from mlcollage.content.starter import FROZEN


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        if cli(["init", str(site)]) or cli(["build", "-C", str(site), "--force", "-j", "2"]):
            return 1
        (made,) = (p.parent for p in (site / "figures").glob("*/*/result.json"))
        if FROZEN.exists():
            shutil.rmtree(FROZEN)
        keep = shutil.ignore_patterns("slide*", "card.png", "thumb-*", "*.pdf")
        shutil.copytree(made, FROZEN, ignore=keep)
    print(f"froze the starter's results into {FROZEN}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
