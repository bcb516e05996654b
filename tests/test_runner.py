"""Experiments in the build: cache, re-runs, failures, time limits, seeds, kill safety."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import ALPHA, GAMMA, REPO, build, ran, replace_run, run_cli, snapshot

FIG_ALPHA = "figures/2020-01/alpha-2019-toy"


def mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_second_build_runs_and_rewrites_nothing(project: Path) -> None:
    first = build(project)
    assert ran(first) == {"alpha-2019-toy", "gamma-2019-old"}
    figs = mtimes(project / "figures")
    second = build(project)  # the manifest says nothing changed: not even a file is read
    assert "nothing changed" in second.err
    third = build(project, "--no-cache")  # the full path: every result checked and found current
    assert ran(third) == set() and "cached" in third.err
    assert mtimes(project / "figures") == figs


def test_prose_edit_runs_nothing_experiment_edit_runs_only_it(project: Path) -> None:
    build(project)
    index = project / ALPHA / "index.md"
    index.write_text(
        index.read_text()
        .replace("fits a line", "fits a straight line")
        .replace("More data, less error", "More data, smaller error")
    )
    assert ran(build(project)) == set()
    script = project / ALPHA / "experiment.py"
    script.write_text(script.read_text().replace("steps: int = 300", "steps: int = 310"))
    assert ran(build(project)) == {"alpha-2019-toy"}
    index.write_text(
        index.read_text().replace("tags:", "experiment: {config: {noise: 0.2}}\ntags:")
    )
    result = build(project)
    assert ran(result) == {"alpha-2019-toy"}
    record = json.loads((project / FIG_ALPHA / "result.json").read_text())
    assert record["config"]["noise"] == 0.2 and record["config"]["steps"] == 310


def test_result_json_provenance(project: Path) -> None:
    build(project)
    record = json.loads((project / FIG_ALPHA / "result.json").read_text())
    assert set(record) >= {"key", "mode", "seed", "config", "claims", "result", "provenance"}
    prov = record["provenance"]
    assert set(prov) >= {"versions", "device", "wall_s", "peak_mem_mb", "date", "git_commit"}
    assert set(prov["versions"]) >= {"mlcollage", "torch", "numpy"}
    assert prov["device"] == "cpu" and prov["wall_s"] > 0 and prov["peak_mem_mb"] > 0
    for claim in record["claims"]:
        assert set(claim) == {"id", "statement", "holds", "evidence"} and claim["holds"] is True
    page = (project / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    assert "gradient descent recovers the slope" in page and "Experiment details" in page


def test_same_seed_same_numbers(project: Path) -> None:
    build(project)
    first = (project / FIG_ALPHA / "result.json").read_text()
    arrays = sorted((project / FIG_ALPHA).glob("arrays-*.npz"))
    build(project, "--force")
    second = (project / FIG_ALPHA / "result.json").read_text()
    strip = lambda t: {k: v for k, v in json.loads(t).items() if k != "provenance"}  # noqa: E731
    assert strip(first) == strip(second)
    assert sorted((project / FIG_ALPHA).glob("arrays-*.npz")) == arrays  # content-named: same bytes


def test_raising_experiment_fails_build_and_keeps_site(project: Path) -> None:
    build(project)
    site = snapshot(project / "_site")
    figs = snapshot(project / "figures")
    replace_run(project, "def run(config, ctx):\n    raise RuntimeError('boom at step 3')")
    result = build(project, code=1)
    assert "alpha-2019-toy" in result.err and "RuntimeError: boom at step 3" in result.err
    assert "experiment.py:" in result.err  # the line of the experiment that raised
    assert snapshot(project / "_site") == site and snapshot(project / "figures") == figs


def test_keep_going_publishes_failed_paper_with_stale_result(project: Path) -> None:
    build(project)
    replace_run(project, "def run(config, ctx):\n    raise RuntimeError('boom')")
    result = build(project, "--keep-going")
    assert "failed" in result.err
    page = (project / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    assert "Experiment failed:" in page and "RuntimeError: boom" in page and "stale" in page
    assert "gradient descent recovers the slope" in page  # the last good result is still shown


def test_nan_result_is_a_contract_error(project: Path) -> None:
    replace_run(
        project,
        "def run(config, ctx):\n    return {'mode': ctx.mode, 'w': float('nan'),"
        " 'slope': 2.0, 'loss': np.array([1.0, np.nan])}",
    )
    result = build(project, code=1)
    assert (
        f"{project / ALPHA / 'experiment.py'}: run() returned non-finite numbers in loss, w"
        in result.err
    )
    assert not (project / FIG_ALPHA).exists()


def test_hanging_experiment_is_killed_at_its_time_limit(project: Path) -> None:
    replace_run(
        project,
        "def run(config, ctx):\n    import time\n    time.sleep(600)",
        front="experiment: {timeout: 3}\n",
    )
    start = time.monotonic()
    result = build(project, code=1)
    assert time.monotonic() - start < 60
    assert "timed out after 3 s" in result.err
    assert (project / "figures/2019-12/gamma-2019-old/result.json").is_file()  # the other one ran


def test_missing_function_names_the_file(project: Path) -> None:
    path = project / ALPHA / "experiment.py"
    path.write_text(path.read_text().replace("def claims(", "def claimz("))
    result = build(project, code=1)
    assert f"{path}: no `claims()` function; expected the experiment contract" in result.err


def test_unknown_config_override_is_input_error(project: Path) -> None:
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("tags:", "experiment:\n  config: {stpes: 5}\ntags:"))
    result = run_cli("build", "-C", project)
    assert result.code == 2
    assert (
        f"{index}:8: unknown config field 'stpes' for experiment.py; did you mean 'steps'?"
        in result.err
    )
    index.write_text(index.read_text().replace("stpes: 5", "steps: fast"))
    result = run_cli("check", "-C", project)
    assert (
        f"{index}:8: config field 'steps' is a string ('fast'); expected a value like the default 300"
        in result.err
    )


def test_several_seeds(project: Path) -> None:
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("tags:", "experiment: {seeds: [0, 1, 2]}\ntags:"))
    build(project)
    folder = project / FIG_ALPHA
    seeds = [
        json.loads((folder / rel).read_text())["seed"]
        for rel in ("result.json", "seed-1/result.json", "seed-2/result.json")
    ]
    assert seeds == [0, 1, 2]
    page = (project / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    assert "Holds in 3 of 3 seeds" in page
    ws = [
        json.loads((folder / r).read_text())["result"]["w"]
        for r in ("result.json", "seed-1/result.json")
    ]
    assert ws[0] != ws[1]


def test_strict_fails_on_a_claim_not_reproduced(project: Path) -> None:
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("tags:", "experiment: {config: {steps: 2}}\ntags:"))
    result = build(project)  # not strict: published, shown as not reproduced
    page = (project / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    assert "Not reproduced:" in page
    assert re.search(r"alpha-2019-toy\s+│ 0,1,2 │ ran .*│\s+0/2\n", result.err), result.err
    result = build(project, "--strict", code=1)
    assert "alpha-2019-toy: claim 'slope' not reproduced (0/3 seeds)" in result.err


def test_quick_results_kept_apart(project: Path) -> None:
    build(project)
    full = (project / FIG_ALPHA / "result.json").read_bytes()
    result = build(project, "--quick")
    assert ran(result) == {"alpha-2019-toy", "gamma-2019-old"}
    assert (project / FIG_ALPHA / "result.json").read_bytes() == full
    quick = json.loads((project / "figures/.quick/2020-01/alpha-2019-toy/result.json").read_text())
    assert quick["mode"] == "quick" and quick["config"]["steps"] == 150


def test_only_runs_one_and_no_run_refuses_stale(project: Path) -> None:
    build(project)
    for rel in (ALPHA, GAMMA):
        script = project / rel / "experiment.py"
        script.write_text(script.read_text() + "\n# edited\n")
    assert ran(build(project, "--only", "gamma-2019-old")) == {"gamma-2019-old"}
    result = build(project, "--no-run", code=1)
    assert "stale or missing for alpha-2019-toy" in result.err


def test_sigkill_mid_run_loses_nothing(project: Path) -> None:
    build(project)
    good = (project / FIG_ALPHA / "result.json").read_text()
    replace_run(
        project,
        "def run(config, ctx):\n    import time\n    for i in range(600):\n"
        "        ctx.progress(i, 600)\n        time.sleep(0.1)",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlcollage.cli", "build", "-C", str(project)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(8)  # the fork server has started and the worker is running
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (project / FIG_ALPHA / "result.json").read_text() == good
    assert json.loads(good)["claims"]
    replace_run(
        project,
        (REPO / "tests/data/site/2020-01/alpha-2019-toy/experiment.py")
        .read_text()
        .split("def run(", 1)[1]
        .split("# ----")[0]
        .join(["def run(", ""]),
    )
    build(project)
    assert not list(project.glob("figures/**/.result.json.*"))
    assert not [p for p in project.iterdir() if p.name.startswith(".") and p.name != ".mlcollage"]


def test_arrays_round_trip(project: Path) -> None:
    from mlcollage.content.load import load_site
    from mlcollage.run.store import Store

    build(project)
    site = load_site(project / "site_src")
    paper = next(p for p in site.papers if p.slug == "alpha-2019-toy")
    run = Store(project / "figures").load(paper, 0, "full", True)
    result = run.result()
    assert isinstance(result["loss"], np.ndarray) and result["loss"].dtype == np.float32
    assert result["w"] == pytest.approx(2.0, abs=0.05)


def test_check_validates_contracts_without_running(project: Path) -> None:
    path = project / ALPHA / "experiment.py"
    path.write_text(path.read_text().replace("def panels(", "def panelz("))
    result = run_cli("check", "-C", project)
    assert result.code == 2
    assert f"{path}:1: no `panels()` function; expected the experiment contract" in result.err
    assert not (project / "figures/2020-01").exists()  # nothing ran


def test_check_strict_warns_on_stale_results(project: Path) -> None:
    script = project / GAMMA / "experiment.py"  # a control that breaks the claim (n = 10: error
    script.write_text(script.read_text().replace(  # >= 0.058 whatever the draws)
        'override={"n": 10000}', 'override={"n": 10}'))
    assert run_cli("check", "-C", project, "--strict").code == 1  # nothing frozen yet
    build(project)
    assert run_cli("check", "-C", project, "--strict").code == 0
    script = project / GAMMA / "experiment.py"
    script.write_text(script.read_text() + "\n")
    result = run_cli("check", "-C", project, "--strict")
    assert result.code == 1 and "gamma-2019-old/index.md: the frozen result is stale (experiment or config changed) for seed 0" in result.err
