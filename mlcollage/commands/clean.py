"""`mlcollage clean`: remove the built site and quick-mode results; frozen results stay."""

from __future__ import annotations

import shutil
import sys

from mlcollage.options import EXIT_INPUT, EXIT_OK, Options
from mlcollage.render.publish import OutputError, check_output


def run(opts: Options, args: None = None) -> int:
    out = opts.out_dir
    removed = []
    if out.is_dir():
        try:
            check_output(out)  # the same rule as a build: only a folder mlcollage made
        except OutputError as exc:
            print(f"mlcollage: {exc}; not removing it", file=sys.stderr)
            return EXIT_INPUT
        shutil.rmtree(out)
        removed.append(str(out))
    quick = opts.figures / ".quick"
    if quick.is_dir():
        shutil.rmtree(quick)
        removed.append(str(quick))
    print("removed " + (", ".join(removed) if removed else "nothing"))
    return EXIT_OK
