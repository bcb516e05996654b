"""Other engines (issue 12): Dask distributed and submitit give the same figures/ as the local
pool, and the same failures, time limits and cache behaviour."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlcollage.content.load import load_site
from mlcollage.model import Resources
from mlcollage.options import Options
from mlcollage.run.engines.submitit import slurm_parameters
from mlcollage.run.step import run_stale
from mlcollage.run.store import Store
from mlcollage.run.worker import Job

from helpers import ALPHA, REPO, build, make_project, ran, replace_run, run_cli

distributed = pytest.importorskip("distributed")
pytest.importorskip("submitit")

RUN_FIELDS = {"wall_s", "cpu_s", "peak_mem_mb", "date", "device"}
"""Provenance that differs between any two runs (or machines); everything else must match."""


def frozen(project: Path) -> dict[str, object]:
    """Every result.json without its per-run provenance, and the arrays files (content-named)."""
    out: dict[str, object] = {}
    for path in sorted((project / "figures").rglob("result.json")):
        record = json.loads(path.read_text())
        record["provenance"] = {
            k: v for k, v in record["provenance"].items() if k not in RUN_FIELDS
        }
        out[path.relative_to(project).as_posix()] = record
    out["arrays"] = sorted(
        p.relative_to(project).as_posix() for p in (project / "figures").rglob("arrays-*.npz")
    )
    return out


SELF_KILL = (
    "def run(config, ctx):\n    import os, signal, time\n    time.sleep(0.5)\n"
    "    os.kill(os.getpid(), signal.SIGKILL)"
)
HANG = "def run(config, ctx):\n    import time\n    time.sleep(600)"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The fixture project's results from the local process pool: what every engine must match.

    Only the build's run step (`run_stale`, which stores as `build` does): drawing is not needed.
    """
    project = make_project(tmp_path_factory.mktemp("local") / "proj")
    with contextlib.redirect_stderr(io.StringIO()):
        _, failures = run_stale(
            load_site(project / "site_src"),
            Options(project=project, jobs=2),
            Store(project / "figures"),
        )
    assert not failures
    return frozen(project)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real two-worker Dask cluster (processes, one thread each), as `dask://HOST:PORT`."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as c:
        yield "dask://" + c.scheduler_address.removeprefix("tcp://")


def test_dask_cluster_same_results_then_cache(project: Path, cluster: str, local_run) -> None:
    first = build(project, "--executor", cluster)
    assert ran(first) == {"alpha-2019-toy", "gamma-2019-old"}
    assert frozen(project) == local_run
    second = build(project, "--executor", cluster, "--no-cache")  # every result checked: current
    assert ran(second) == set() and "cached" in second.err


def test_dask_hung_experiment_times_out(project: Path, cluster: str) -> None:
    replace_run(project, HANG, front="experiment: {timeout: 3, seeds: [0]}\n")
    start = time.monotonic()
    result = build(project, "--executor", cluster, code=1)
    assert time.monotonic() - start < 40
    assert "alpha-2019-toy" in result.err and "timed out after 3 s" in result.err
    assert (project / "figures/2019-12/gamma-2019-old/result.json").is_file()
    assert not (project / "figures/2020-01/alpha-2019-toy").exists()


def test_dask_killed_worker_fails_that_paper(project: Path) -> None:
    # `--executor dask`: mlcollage's own LocalCluster, where a lost worker fails its task at once
    replace_run(project, SELF_KILL, front="experiment: {seeds: [0]}\n")
    script = project / ALPHA / "experiment.py"  # one dying job: no control either
    text = script.read_text()
    start = text.index("CONTROLS = [")
    script.write_text(text[:start] + text[text.index("]\n", start) + 2:])
    start = time.monotonic()
    result = build(project, "--executor", "dask", "-j", "2", code=1)
    assert time.monotonic() - start < 40
    assert "alpha-2019-toy: worker process died" in result.err
    assert (project / "figures/2019-12/gamma-2019-old/result.json").is_file()


def test_submitit_local_same_results_and_failures(project: Path, local_run) -> None:
    build(project, "--executor", "submitit-local")
    assert frozen(project) == local_run
    assert list(project.glob(".mlcollage/submitit-local-logs/alpha-2019-toy/*_log.err"))
    assert ran(build(project, "--executor", "submitit-local")) == set()
    good = frozen(project)
    replace_run(project, SELF_KILL)
    result = build(project, "--executor", "submitit-local", code=1)
    assert "alpha-2019-toy: seed 0: worker process died" in result.err
    assert "alpha-2019-toy: control untrained: worker process died" in result.err
    replace_run(project, HANG, front="experiment: {timeout: 2, seeds: [0]}\n")
    start = time.monotonic()
    result = build(project, "--executor", "submitit-local", code=1)
    assert time.monotonic() - start < 30 and "timed out after 2 s" in result.err
    assert frozen(project) == good  # failures never touch the frozen results


@pytest.mark.parametrize(
    ("executor", "module", "extra"),
    [("dask", "distributed", "dask"), ("slurm", "submitit", "slurm")],
)
def test_missing_extra_is_a_usage_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, executor: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import distributed` now fails
    result = run_cli("build", "-C", project, "--executor", executor)
    assert result.code == 2
    assert (
        f"mlcollage: --executor {executor} needs the '{extra}' extra: "
        f"pip install 'mlcollage[{extra}]'" in result.err
    )


def test_bad_executor_and_help_imports_nothing(project: Path) -> None:
    result = run_cli("build", "-C", project, "--executor", "spark")
    assert result.code == 2 and "--executor must be local, dask, dask://HOST:PORT" in result.err
    code = (
        "import sys; from mlcollage.cli import main; main(['build', '--help']); "
        "assert not {'dask', 'distributed', 'submitit', 'torch'} & set(sys.modules), sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "--executor ENGINE" in proc.stdout


def test_gpu_experiment_without_cuda_fails_clearly(project: Path) -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is present: the gpu: true experiment would run")
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("takeaways:", "experiment: {gpu: true}\ntakeaways:"))
    result = build(project, "--only", "alpha-2019-toy", code=1)
    assert "declares gpu: true but CUDA is not available" in result.err


def test_resources_from_front_matter_over_site_defaults(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import submitit

    site_yaml = project / "site_src/site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "resources: {partition: cpu, time: 1h, mem: 4G}\n")
    index = project / ALPHA / "index.md"
    index.write_text(
        index.read_text().replace(
            "takeaways:", "experiment:\n  resources: {gpus: 1, time: 1h30m, mem: 500M}\ntakeaways:"
        )
    )
    site = load_site(project / "site_src")
    alpha = next(p for p in site.papers if p.slug == "alpha-2019-toy")
    res = alpha.experiment.resources.over(site.config.resources)
    assert res == Resources(gpus=1, time_min=90, mem_gb=500 / 1024, partition="cpu")
    job = Job("alpha-2019-toy", Path("e.py"), {}, 0, "full", "k", timeout=600.0)
    assert slurm_parameters(job, Resources(), slurm=True, cuda=False)["timeout_min"] == 11
    # the sbatch script submitit would submit (a stand-in `srun` on PATH: no Slurm here)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/srun").write_text("#!/bin/sh\n")
    (tmp_path / "bin/srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    ex = submitit.AutoExecutor(folder=tmp_path / "logs", cluster="slurm")
    ex.update_parameters(**slurm_parameters(job, res, slurm=True, cuda=False))
    script = ex._executor._make_submission_file_text("python -m x", "uid")
    for line in ("partition=cpu", "time=90", "mem=500MB", "gpus-per-node=1", "job-name=mlcollage-"):
        assert f"#SBATCH --{line}" in script


def test_bad_resources_are_input_errors(project: Path) -> None:
    index = project / ALPHA / "index.md"
    index.write_text(
        index.read_text().replace(
            "takeaways:", "experiment:\n  resources: {gpu: 1, time: 30, mem: lots}\ntakeaways:"
        )
    )
    result = run_cli("build", "-C", project)
    assert result.code == 2
    assert "unknown field 'experiment.resources.gpu'; did you mean 'gpus'?" in result.err
    assert "field 'experiment.resources.time' is an integer (30); expected a duration" in result.err
    assert "field 'experiment.resources.mem' is a string ('lots'); expected a memory" in result.err
