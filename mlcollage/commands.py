"""The CLI verbs: each takes the resolved Options and returns an exit code."""

from __future__ import annotations

import shutil
import sys

from .cli import EXIT_FAILED, EXIT_INPUT, EXIT_OK, Options
from .model import InputError
from .publish import MARKER, OutputError


def _report_input(error: InputError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    n = len(error.problems)
    print(
        f"mlcollage: {n} problem{'s' * (n != 1)} in the input; nothing was written", file=sys.stderr
    )
    return EXIT_INPUT


def build(opts: Options) -> int:
    from .pipeline import build_site
    from .runner import BuildFailed

    try:
        build_site(opts)
    except InputError as exc:
        return _report_input(exc)
    except OutputError as exc:
        print(f"mlcollage: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BuildFailed as exc:
        print(
            f"mlcollage: build failed: {exc}; the previous site was left as it was", file=sys.stderr
        )
        return EXIT_FAILED
    return EXIT_OK


def check(opts: Options) -> int:
    from .pipeline import check_site

    try:
        warnings = check_site(opts)
    except InputError as exc:
        return _report_input(exc)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if warnings and opts.strict:
        return EXIT_FAILED
    print("mlcollage: site_src is valid")
    return EXIT_OK


def clean(opts: Options) -> int:
    out = opts.out_dir
    removed = []
    if out.is_dir():
        if not (out / MARKER).exists() and any(out.iterdir()):
            print(
                f"mlcollage: {out}: not made by mlcollage (no {MARKER}); not removing it",
                file=sys.stderr,
            )
            return EXIT_INPUT
        shutil.rmtree(out)
        removed.append(str(out))
    quick = opts.figures / ".quick"
    if quick.is_dir():
        shutil.rmtree(quick)
        removed.append(str(quick))
    print("removed " + (", ".join(removed) if removed else "nothing"))
    return EXIT_OK
