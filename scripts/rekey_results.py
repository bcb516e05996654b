"""Re-key the frozen results in figures/ from result format 1 to the current one, in place.

    python scripts/rekey_results.py [-C PROJECT] [--quick] [--dry-run]

Format 1 keyed each result on the mlcollage, torch and numpy versions; now they are provenance.
A result that was current under format 1 gets its new key (its numbers, arrays and provenance
are untouched); one that was already stale is left as it is and reported. Run nothing else:
the next `mlcollage build` redraws the slides (their key names the result's key) without
re-running an experiment. Exit 1 if a result is stale, so a script can stop there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcollage.content.load import load
from mlcollage.options import Options
from mlcollage.run.rekey import rekey
from mlcollage.run.store import Store


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rekey_results", description=__doc__.split("\n\n")[0])
    p.add_argument("-C", "--project", type=Path, default=Path("."), metavar="DIR")
    p.add_argument("--quick", action="store_true", help="the quick results (figures/.quick/)")
    p.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    a = p.parse_args(argv)
    opts = Options(project=a.project, quick=a.quick, drafts=True, future=True)
    done = rekey(load(opts), Store(opts.figures), opts.mode, dry_run=a.dry_run)
    verb = "would re-key" if a.dry_run else "re-keyed"
    for label in done.rewritten:
        print(f"{verb} {label}")
    for label in done.stale:
        print(f"stale (left for `mlcollage build`): {label}", file=sys.stderr)
    print(
        f"{verb} {len(done.rewritten)}, already current {len(done.current)}, "
        f"stale {len(done.stale)}, missing {len(done.missing)}"
    )
    return 1 if done.stale else 0


if __name__ == "__main__":
    sys.exit(main())
