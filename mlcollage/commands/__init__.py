"""One module per verb (`build`, `check`, `clean`, `init`, `list`, `new`, `serve`), each with
`run(opts, args) -> exit code`; the CLI imports only the verb it runs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mlcollage.options import EXIT_INPUT, Options

if TYPE_CHECKING:
    from mlcollage.model import InputError


def no_site(opts: Options) -> int | None:
    """EXIT_INPUT and how to start a site, when ``opts.project`` has none; else None."""
    if opts.src.is_dir():  # (a site_src/ without site.yaml gets the loader's path:line error)
        return None
    here = "this folder" if str(opts.project) == "." else str(opts.project)
    print(
        f"mlcollage: no site in {here}: {opts.src} does not exist.\n"
        "  start one:            mlcollage init mysite && cd mysite\n"
        "  or build another:     mlcollage build -C path/to/site  (-C works with every command)",
        file=sys.stderr,
    )
    return EXIT_INPUT


def report_input(error: InputError) -> int:
    """Every input problem, one `path:line: ...` per line; exit 2."""
    for problem in error.problems:
        print(problem, file=sys.stderr)
    n = len(error.problems)
    print(
        f"mlcollage: {n} problem{'s' * (n != 1)} in the input; nothing was written", file=sys.stderr
    )
    return EXIT_INPUT
