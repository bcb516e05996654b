"""`mlcollage clean`: remove the built site and quick-mode results; frozen results stay."""

from __future__ import annotations

import shutil
import sys

from mlcollage.options import EXIT_INPUT, EXIT_OK, Options
from mlcollage.render.publish import OutputError, check_output, remove_leftovers, staging


def run(opts: Options, args: None = None) -> int:
    from mlcollage.state.lock import build_lock

    with build_lock(opts.state_dir, "clean", create=False):  # never while a build writes
        return _clean(opts)


def _clean(opts: Options) -> int:
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
    if out.parent.is_dir():
        for state_dir in (opts.state_dir if opts.state_dir.is_dir() else None, None):
            folder, prefix = staging(out, state_dir)
            standby = folder / f"{prefix}.standby"
            if standby.is_dir():
                shutil.rmtree(standby)
                removed.append(str(standby))
            remove_leftovers(out, folder, prefix)
    quick = opts.figures / ".quick"
    if quick.is_dir():
        shutil.rmtree(quick)
        removed.append(str(quick))
    print("removed " + (", ".join(removed) if removed else "nothing"))
    return EXIT_OK
