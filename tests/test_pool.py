"""The render step's worker pool: the same bytes as the serial build, errors reported as the
serial loop reports them, results in task order, no process left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from mlcollage.model import InputError, Problem
from mlcollage.render import pool

from helpers import DATA, I18N_OVERLAY, REPO, build, make_project, run_cli, snapshot

SLIDE = REPO / "figures" / "2021-02" / "rahaman-2019-spectral-bias"
SLIDE_FILES = ("slide.png", "slide.pdf", "card.png", "thumb-480.webp", "thumb-960.webp")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """figures/ of the fixture project, one and two languages: frozen results, and slides that
    are current without drawing (the repo's files hard-linked, the key the build computed, as
    `bench/corpus.py freeze` does): these builds only render and publish."""
    from mlcollage.draw import digest
    from mlcollage.draw import step as draw

    def fake_run(jobs, n_jobs):  # noqa: ANN001, ANN202, ARG001
        for job in jobs:
            folder = Path(job.folder)
            folder.mkdir(parents=True, exist_ok=True)
            for name in SLIDE_FILES:
                os.link(SLIDE / name, folder / name)
            (folder / draw.KEY_FILE).write_text(json.dumps({"key": job.key}) + "\n")
        return []

    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(draw, "_run", fake_run)
        mp.setattr(digest, "digest_pdf", lambda *args: b"%PDF-1.4 placeholder\n")
        for name, overlay in (("one", None), ("two", I18N_OVERLAY)):
            project = make_project(tmp_path_factory.mktemp(name) / "proj", overlay=overlay)
            shutil.rmtree(project / "figures")
            shutil.copytree(DATA / "figures", project / "figures")
            build(project)
            out[name] = project / "figures"
    return out


def fresh(tmp_path: Path, name: str, drawn: dict[str, Path], languages: str) -> Path:
    """A project whose build renders and publishes only (no run, no drawing), no build state."""
    project = make_project(tmp_path / name, overlay=I18N_OVERLAY if languages == "two" else None)
    shutil.rmtree(project / "figures")
    shutil.copytree(drawn[languages], project / "figures")
    return project


def page_keys(project: Path) -> dict[str, str]:
    """The page keys the last build recorded (what the next one compares against)."""
    from mlcollage.state.manifest import read_manifest

    (build_record,) = read_manifest(project)["builds"].values()
    return build_record["pages"]


@pytest.fixture(autouse=True)
def only_this_tests_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool stays serial while another thread runs (serve). A thread an earlier test in
    this process left behind (a browser test's server, Playwright's) is not this test's: the
    pool counts only the threads started since this test began."""
    import threading

    real, before = threading.active_count, threading.active_count()
    monkeypatch.setattr(pool.threading, "active_count", lambda: real() - before + 1)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of processes of every `run_tasks` call."""
    calls: list[int] = []
    real = pool.run_tasks

    def run_tasks(tasks, weights, n):  # noqa: ANN001, ANN202
        calls.append(n)
        return real(tasks, weights, n)

    monkeypatch.setattr(pool, "run_tasks", run_tasks)
    return calls


@pytest.mark.parametrize("languages", ["one", "two"])
def test_pooled_build_is_byte_identical_to_serial(
    tmp_path: Path, drawn: dict[str, Path], spy: list[int], monkeypatch: pytest.MonkeyPatch,
    languages: str,
) -> None:
    """Markdown and pages over two processes (forced on): every file of the site, byte for
    byte, and the page keys the next build compares against, as a serial build writes them."""
    project = fresh(tmp_path, "proj", drawn, languages)
    monkeypatch.setattr(pool, "MIN_WORK", float("inf"))
    build(project, "--jobs", "2")
    assert spy == []
    want, want_keys = snapshot(project / "_site"), page_keys(project)
    shutil.rmtree(project / "_site")
    shutil.rmtree(project / ".mlcollage")  # cold again: no Markdown memo, no page keys
    monkeypatch.setattr(pool, "MIN_WORK", 0.0)
    written = written_by_workers(monkeypatch)
    build(project, "--jobs", "2")
    assert spy == [2, 2], "Markdown and pages: each over two processes"
    got = snapshot(project / "_site")
    assert {k for k in got if k.endswith(".html")} <= set(written), "the workers wrote the pages"
    assert leftovers(project) == []
    assert sorted(got) == sorted(want)
    assert [k for k in want if got[k] != want[k]] == []
    assert page_keys(project) == want_keys
    assert len(want_keys) >= len([k for k in want if k.endswith(".html")]) - 1  # all but 404
    # the Markdown the workers converted is in the memo: a cold render of it runs no pool
    spy.clear()
    shutil.rmtree(project / "_site")
    (project / ".mlcollage" / "manifest.pickle").unlink()  # the memo stays: pages only
    build(project, "--jobs", "2")
    assert spy == [2]
    assert snapshot(project / "_site") == want


def written_by_workers(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The paths (and hashes) the render workers wrote into the new site's folder."""
    from mlcollage.render import pages

    out: dict[str, str] = {}
    real = pages.render_pooled

    def render_pooled(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        result = real(*args, **kwargs)
        if result is not None:
            out.update(result[1])
        return result

    monkeypatch.setattr(pages, "render_pooled", render_pooled)
    return out


def leftovers(project: Path) -> list[str]:
    """Temporary site folders left beside the site or in the build state."""
    return sorted(str(p.relative_to(project)) for p in project.rglob("*.tmp-*"))


@pytest.mark.parametrize("broken", ["template", "link"])
def test_a_failure_after_the_workers_wrote_leaves_the_previous_site(
    tmp_path: Path, drawn: dict[str, Path], spy: list[int], monkeypatch: pytest.MonkeyPatch,
    broken: str,
) -> None:
    """The workers write into a folder of its own; a template error in one of them, or a
    broken link found after they wrote (the publish step's check), removes that folder and
    leaves the published site as it was."""
    project = fresh(tmp_path, "proj", drawn, "one")
    build(project, "--jobs", "2")
    before = snapshot(project / "_site")
    if broken == "template":
        (project / "templates" / "tag.html").write_text("{{ no_such_value }}\n")
    else:
        summary = sorted((project / "site_src").rglob("index.md"))[0]
        summary.write_text(summary.read_text() + "\nSee [the notes](no-such-page/).\n")
    (project / ".mlcollage" / "manifest.pickle").unlink()  # cold: the pages over the pool
    monkeypatch.setattr(pool, "MIN_WORK", 0.0)
    written = written_by_workers(monkeypatch)
    result = run_cli("build", "-C", project, "--jobs", "2")
    assert result.code == 2, result.err
    assert ("no_such_value" if broken == "template" else "no-such-page") in result.err
    assert spy and spy[-1] == 2
    assert broken == "template" or written, "the workers had written pages"
    assert snapshot(project / "_site") == before
    assert leftovers(project) == []


def test_template_error_in_a_worker_reads_as_the_serial_one(
    tmp_path: Path, drawn: dict[str, Path], spy: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = []
    for name, min_work in (("serial", float("inf")), ("pooled", 0.0)):
        project = fresh(tmp_path, name, drawn, "one")
        (project / "templates" / "paper.html").write_text("{{ no_such_value }}\n")
        monkeypatch.setattr(pool, "MIN_WORK", min_work)
        result = run_cli("build", "-C", project, "--jobs", "2")
        assert not (project / "_site").exists()
        results.append((result.code, result.err.replace(str(project), "PROJECT")))
    assert spy[-1] == 2
    assert results[0] == results[1]
    assert results[0][0] == 2 and "no_such_value" in results[0][1]


def meet(folder: Path, n: int) -> None:
    """Wait until ``n`` processes came here: each worker then holds one of the first tasks, so
    every worker takes part, however the chunks fall."""
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 30
    while len(list(folder.iterdir())) < n:
        assert time.monotonic() < deadline, "the workers never met"
        time.sleep(0.005)


def test_results_come_back_in_task_order_from_every_worker(tmp_path: Path) -> None:
    def task(i: int) -> tuple[int, int]:
        if i < 3:
            meet(tmp_path, 3)
        return i, os.getpid()

    got = pool.run_tasks([lambda i=i: task(i) for i in range(9)], [1.0] * 9, 3)
    assert [i for i, _ in got] == list(range(9))
    pids = {pid for _, pid in got}
    assert os.getpid() in pids and len(pids) == 3
    for pid in pids - {os.getpid()}:  # reaped: gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_chunks_are_consecutive_and_about_equal() -> None:
    weights = [1.0] * 30 + [5.0] + [0.5] * 20
    parts = pool.chunks(weights, 2)
    assert [i for part in parts for i in part] == list(range(len(weights)))
    size = sum(weights) / (2 * pool.CHUNKS_PER_WORKER)
    assert all(sum(weights[i] for i in part) <= max(size, max(weights[i] for i in part))
               for part in parts)
    assert len(parts) >= pool.CHUNKS_PER_WORKER


def test_a_childs_input_error_comes_back_with_its_problems(tmp_path: Path) -> None:
    problem = Problem(Path("site_src/x.md"), 3, "bad; expected good")
    parent = os.getpid()

    def task() -> None:
        meet(tmp_path, 2)  # one task each
        if os.getpid() != parent:
            raise InputError([problem])

    with pytest.raises(InputError) as info:
        pool.run_tasks([task, task], [1.0, 1.0], 2)
    assert info.value.problems == [problem]
    assert str(info.value) == "site_src/x.md:3: bad; expected good"


def test_the_first_failing_task_is_raised_not_the_first_to_fail(tmp_path: Path) -> None:
    """Task 2 fails first (in time), task 1 after it, in the other process: task 1's error is
    raised, as in a serial loop."""
    later = tmp_path / "later"

    def task(i: int) -> int:
        if i < 2:
            meet(tmp_path / "met", 2)  # tasks 0 and 1 in different processes
        if i == 1:
            while not later.exists():  # the other process finished task 0 and failed task 2
                time.sleep(0.005)
            raise InputError([Problem(Path("a.md"), 1, "first by index")])
        if i == 2:
            later.touch()
            raise ValueError("first in time")
        return i

    (tmp_path / "met").mkdir()
    with pytest.raises(InputError, match="first by index"):
        pool.run_tasks([lambda i=i: task(i) for i in range(4)], [1.0] * 4, 2)


def test_ctrl_c_stops_and_reaps_the_workers(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    parent = os.getpid()

    def either() -> None:
        if os.getpid() != parent:  # a child: runs until killed
            marker.write_text(str(os.getpid()))
            time.sleep(60)
        while not marker.exists() or not marker.read_text():  # here: interrupted once the
            time.sleep(0.01)  # child runs the other task
        raise KeyboardInterrupt

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        pool.run_tasks([either, either], [1.0, 1.0], 2)
    assert time.monotonic() - t0 < 10
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)


def test_little_work_or_threads_stay_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(pool, "MIN_WORK", 0.4)
    assert pool.workers(2, 0.1) == 1  # less than a worker costs
    assert pool.workers(1, 10.0) == 1  # --jobs 1
    assert pool.workers(2, 10.0) == 2
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert pool.workers(2, 10.0) == 1  # serve's threads: no fork
    finally:
        stop.set()
        thread.join()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
