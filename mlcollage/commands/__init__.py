"""One module per verb (`build`, `check`, `clean`, `new`, `serve`), each with
`run(opts, args) -> exit code`; the CLI imports only the verb it runs."""

from __future__ import annotations

import sys

from mlcollage.model import InputError
from mlcollage.options import EXIT_INPUT


def report_input(error: InputError) -> int:
    """Every input problem, one `path:line: ...` per line; exit 2."""
    for problem in error.problems:
        print(problem, file=sys.stderr)
    n = len(error.problems)
    print(
        f"mlcollage: {n} problem{'s' * (n != 1)} in the input; nothing was written", file=sys.stderr
    )
    return EXIT_INPUT
