"""Terminal output of a build: live progress bars per running experiment, and the timing table."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from mlcollage.run.worker import Job


@dataclass
class Row:
    """One line of the timing table."""

    paper: str
    seeds: str
    status: str  # cached / ran / failed / stale / missing / none
    wall_s: float | None
    peak_mb: float | None
    claims: str


class LiveProgress:
    """One rich progress bar per running experiment, fed by `ctx.progress` through the pool.

    On a terminal the bars update in place; elsewhere (CI logs) a line is printed per finished run.
    """

    def __init__(self, total: int, stream: Any = None, quiet: bool = False):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = Console(file=stream or sys.stderr)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=quiet or not self.console.is_terminal,
        )
        self.quiet = quiet
        self.tasks: dict[str, Any] = {}
        self.total = total
        self.finished = 0

    def __enter__(self) -> LiveProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def update(self, job: Job, done: int, total: int) -> None:
        key = job.label
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(key, total=total)
        self.progress.update(self.tasks[key], completed=done, total=total)

    def done(self, result: Any) -> None:
        self.finished += 1
        key = result.job.label
        if key in self.tasks:
            self.progress.remove_task(self.tasks.pop(key))
        word = "ran" if result.ok else "FAILED"
        if self.quiet and result.ok:
            return
        self.console.print(
            f"[{self.finished}/{self.total}] {word} {key} in {result.wall_s:.1f} s"
            + ("" if result.ok else f": {result.error.splitlines()[0]}"),
            highlight=False,
            markup=False,
        )


def print_table(rows: list[Row], stream: Any = None) -> None:
    """The per-paper timing table printed at the end of every build with experiments."""
    if not rows:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="experiments", title_justify="left", show_edge=False, pad_edge=False)
    for name, justify in [
        ("paper", "left"),
        ("seeds", "left"),
        ("status", "left"),
        ("wall s", "right"),
        ("peak MB", "right"),
        ("claims", "right"),
    ]:
        table.add_column(name, justify=justify)
    for r in rows:
        table.add_row(
            r.paper,
            r.seeds,
            r.status,
            "" if r.wall_s is None else f"{r.wall_s:.1f}",
            "" if r.peak_mb is None else f"{r.peak_mb:.0f}",
            r.claims,
        )
    Console(file=stream or sys.stderr, width=120).print(table)
