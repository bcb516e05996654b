"""`mlcollage build`: a no-op check before any heavy import, then the pipeline; exit codes."""

from __future__ import annotations

import sys

from mlcollage.commands import no_site, report_input
from mlcollage.options import EXIT_FAILED, EXIT_INPUT, EXIT_OK, Options
from mlcollage.processes import stop_processes


def run(opts: Options, args: None = None) -> int:
    if (missing := no_site(opts)) is not None:
        return missing
    from mlcollage.state.lock import build_lock

    # the no-op check is under the lock: a build that waited for another finds its site
    with build_lock(opts.state_dir, "build") as clean:
        return _run_locked(opts, clean)


def _run_locked(opts: Options, clean: bool) -> int:
    from mlcollage.state.manifest import (
        build_settings,
        fingerprint,
        listed_fingerprints,
        nothing_to_do,
        source_fingerprint,
    )

    settings = build_settings(opts)
    listed = listed_fingerprints(opts.project, opts.out_dir, settings, opts.quick)
    trusted = listed is None or listed.trusted  # else a racy file's content changed
    if listed and trusted and nothing_to_do(opts, listed.fp):  # a stat per input, no heavy import
        return EXIT_OK
    if listed and listed.whole:  # files edited in place: what a walk would give
        source_fp, fp = listed.source_fp, listed.fp
    else:  # something came or went: walk
        source_fp = source_fingerprint(opts.project, settings)
        fp = fingerprint(opts.project, source_fp, opts.quick)
        if trusted and nothing_to_do(opts, fp):
            return EXIT_OK
    from mlcollage.model import BuildFailed, InputError
    from mlcollage.render.publish import OutputError

    try:
        if listed and listed.whole and listed.changed:  # edited in place: maybe a prose edit,
            from mlcollage.quick import quick_build  # which re-renders only what it changes

            if quick_build(opts, listed):
                return EXIT_OK
        from mlcollage.pipeline import build_site  # not for a prose edit: the run step's imports

        build_site(opts, fingerprints=(source_fp, fp), held=clean)
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
