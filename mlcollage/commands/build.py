"""`mlcollage build`: a no-op check before any heavy import, then the pipeline; exit codes."""

from __future__ import annotations

import sys

from mlcollage.commands import no_site, report_input
from mlcollage.model import BuildFailed, InputError
from mlcollage.options import EXIT_FAILED, EXIT_INPUT, EXIT_OK, Options
from mlcollage.render.publish import OutputError


def run(opts: Options, args: None = None) -> int:
    if (missing := no_site(opts)) is not None:
        return missing
    from mlcollage.state.manifest import (
        build_settings,
        fingerprint,
        nothing_to_do,
        source_fingerprint,
    )

    source_fp = source_fingerprint(opts.project, build_settings(opts))
    fp = fingerprint(opts.project, source_fp, opts.quick)
    if nothing_to_do(opts, fp):  # before the heavy imports: a no-op rebuild costs a file walk
        return EXIT_OK
    from mlcollage.pipeline import build_site, stop_processes

    try:
        build_site(opts, fingerprints=(source_fp, fp))
    except InputError as exc:
        return report_input(exc)
    except OutputError as exc:
        print(f"mlcollage: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BuildFailed as exc:
        print(
            f"mlcollage: build failed: {exc}; the previous site was left as it was", file=sys.stderr
        )
        return EXIT_FAILED
    finally:
        stop_processes()
    return EXIT_OK
