"""`mlcollage init [DIR]`: start a site that builds at once; refuse to overwrite anything."""

from __future__ import annotations

import sys

from mlcollage.options import EXIT_INPUT, EXIT_OK, InitArgs, Options

RUN_EXTRA = (
    "pip install 'mlcollage[run]' torch==2.13.0 "
    "--extra-index-url https://download.pytorch.org/whl/cpu"
)
"""How to get what experiments and slides need; the CPU pin keeps pip off the CUDA wheels."""


def run(opts: Options, args: InitArgs = InitArgs()) -> int:  # noqa: B008 - frozen
    from mlcollage.content.scaffold import ScaffoldError
    from mlcollage.content.starter import create_site
    from mlcollage.state.keys import versions

    try:
        written = create_site(args.folder, versions()["mlcollage"])
    except ScaffoldError as exc:
        print(f"mlcollage: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if opts.verbosity > 0:
        for path in written:
            print(f"created {path}")
    where = "" if str(args.folder) == "." else f"cd {args.folder}\n  "
    print(
        f"created a site in {args.folder} ({len(written)} files). Next:\n"
        f"  {where}mlcollage serve          # preview with live reload\n"
        "  mlcollage build --no-run   # publish from the frozen results (no torch needed)\n"
        f"to run experiments and draw slides:\n  {RUN_EXTRA}"
    )
    return EXIT_OK
