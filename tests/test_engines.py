"""The engine registry: a new engine is one module and one `ENGINES` line, nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlcollage.run import engines
from mlcollage.run.engines import ENGINES, EngineSpec, executor_problem, resolve

from helpers import REPO, build, ran, run_cli

TOY = '''
"""A toy engine: runs each job in this process when it is submitted."""
from mlcollage.run.worker import execute

SUBMITTED = []


class Toy:
    slots, queues, ships = 1, False, False

    def submit(self, job):
        SUBMITTED.append(job.label)
        return execute(job)

    def wait(self, timeout): pass
    def progress(self): return []
    def started(self, h): return True
    def done(self, h): return True
    def result(self, h, job): return h
    def cancel(self, h): return "nothing to cancel"
    def limit(self, job): return job.timeout
    def exclusive(self, job): return False
    def close(self): pass


def make(ctx, name):
    return Toy()
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "toy_engine.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ENGINES, "toy", EngineSpec("toy_engine", "runs jobs in this process"))
    yield
    sys.modules.pop("toy_engine", None)


def test_a_toy_engine_through_the_registry_alone(project: Path, toy) -> None:
    assert resolve("toy") == ("toy", None) and executor_problem("toy") is None
    assert "toy (runs jobs in this process)" in " ".join(run_cli("build", "--help").out.split())
    result = build(project, "--executor", "toy")
    assert ran(result) == {"alpha-2019-toy", "gamma-2019-old"}
    assert sorted(sys.modules["toy_engine"].SUBMITTED) == [
        "alpha-2019-toy", "alpha-2019-toy (control untrained)", "alpha-2019-toy (seed 1)",
        "alpha-2019-toy (seed 2)", "gamma-2019-old", "gamma-2019-old (control more-points)",
        "gamma-2019-old (seed 1)", "gamma-2019-old (seed 2)"]
    assert (project / "figures/2020-01/alpha-2019-toy/result.json").is_file()
    assert ran(build(project, "--executor", "toy")) == set()  # stored as by any engine


def test_unknown_engine_and_missing_extra_come_from_the_registry(monkeypatch) -> None:
    assert executor_problem("nope") == (
        "error: --executor must be local, dask, dask://HOST:PORT, slurm or submitit-local; "
        "got 'nope'"
    )
    monkeypatch.setitem(
        ENGINES, "ray", EngineSpec("x", "Ray", extra="ray", requires="no_such_module_here")
    )
    assert executor_problem("ray") == "--executor ray needs the 'ray' extra: pip install 'mlcollage[ray]'"
    assert resolve("dask://127.0.0.1:8786") == ("dask", "127.0.0.1:8786")


def test_readme_table_lists_every_engine() -> None:
    """The README's engine table is the registry's (regenerate with `engine_table()`)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert engines.engine_table() in readme
