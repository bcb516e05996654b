"""The processes a build may leave: the fork server its run and draw steps fork workers from."""

from __future__ import annotations


def stop_processes() -> None:
    """Stop the fork server (the run and draw steps' workers fork from it) if one was started:
    no process outlives the command, and `time` counts every worker's CPU (the server reaps the
    workers, we reap the server). The next build in this process starts a new one.

    `MLCOLLAGE_KEEP_FORKSERVER=1` keeps it for a long-lived process that builds many times in
    process (the test suite: each new server imports torch again)."""
    import os
    import sys

    if os.environ.get("MLCOLLAGE_KEEP_FORKSERVER") == "1":
        return

    if "multiprocessing.forkserver" in sys.modules:
        from multiprocessing import forkserver

        forkserver._forkserver._stop()  # noqa: SLF001 - the stdlib's one way to stop it
    if "multiprocessing.resource_tracker" in sys.modules:  # after the server, which holds it
        from multiprocessing import resource_tracker

        resource_tracker._resource_tracker._stop()  # noqa: SLF001
