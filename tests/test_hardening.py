"""Hardening: hostile experiments are contained, publishing is one swap, one build at a time,
symlinks out of the site are never published, templates that are not UTF-8 are bad input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import ALPHA, DATA, build, make_project, run_cli, snapshot

HOSTILE = {
    # slug suffix: (run body, extra experiment fields, what the error must say)
    "exits": ("    import os\n    os._exit(3)",
              "", "the experiment ended its own process (exit code 3)"),
    "base-exception": ("    class Boom(BaseException):\n        pass\n    raise Boom('no')",
                       "", "Boom: no"),
    "sys-exit": ("    import sys\n    sys.exit(4)", "", "the experiment called sys.exit(4)"),
    "unstorable": ("    return {'w': object()}", "", "w"),
    "floods": ("    import sys\n    print('first line')\n    while True:\n"
               "        sys.stdout.write('spam ' * 2000 + '\\n')",
               "", "File too large"),
    "hogs-memory": ("    import numpy as np\n    return {'x': np.ones(2 * 2**30 // 8)}",
                    ", memory: 300M", "more than its memory limit (300M"),
    "hangs": ("    import time\n    time.sleep(600)", ", timeout: 3", "timed out after 3 s"),
}


def hostile_project(dest: Path) -> Path:
    """The fixture project (frozen results) plus one copy of the toy paper per hostile run."""
    project = make_project(dest)
    shutil.rmtree(project / "figures")
    shutil.copytree(DATA / "figures", project / "figures")
    src = project / ALPHA
    for name, (body, fields, _) in HOSTILE.items():
        folder = src.with_name(f"zeta-2020-{name}")
        shutil.copytree(src, folder)
        script = folder / "experiment.py"
        text = script.read_text()
        start, end = text.index("def run("), text.index("# ----", text.index("def run("))
        text = text[:start] + "def run(config, ctx):\n" + body + "\n\n\n" + text[end:]
        start = text.index("CONTROLS = [")
        script.write_text(text[:start] + text[text.index("]\n", start) + 2:])
        index = folder / "index.md"
        index.write_text(index.read_text().replace(
            "takeaways:", f"experiment: {{seeds: [0]{fields}}}\ntakeaways:", 1))
    return project


@pytest.mark.slow
def test_hostile_experiments_fail_their_paper_and_touch_nothing(tmp_path: Path) -> None:
    project = hostile_project(tmp_path / "proj")
    frozen = snapshot(project / "figures")
    result = run_cli("build", "-C", project, "-j", "2")
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    for name, (_, _, says) in HOSTILE.items():
        line = next((x for x in result.err.splitlines() if f"zeta-2020-{name}:" in x
                     and x.startswith("error:")), "")
        assert says in line or says in result.err.split(f"zeta-2020-{name}:", 1)[-1][:3000], (
            name, result.err[-3000:])
        assert not (project / "figures/2020-01" / f"zeta-2020-{name}").exists()
    # a flood reaches the terminal as a bounded tail; the whole output is in the log
    assert len(result.err) < 60_000
    log = project / ".mlcollage/logs/zeta-2020-floods-seed-0.log"
    assert log.stat().st_size > 1_000_000
    assert log.read_bytes().startswith(b"first line\n")
    assert f"in {log}" in result.err
    after = snapshot(project / "figures")
    assert {k: v for k, v in after.items() if k in frozen} == frozen


@pytest.mark.slow
def test_no_process_outlives_the_build(tmp_path: Path) -> None:
    """The fork server and every worker end with the command, so their CPU is counted."""
    import resource
    import subprocess
    import sys

    project = make_project(tmp_path / "proj")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("MLCOLLAGE_KEEP_FORKSERVER")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlcollage.cli", "build", "-C", str(project), "--quick"],
        stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the build led its own session: nothing of it (fork server, worker) may be left there
    left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True)
    assert left.stdout == "", left.stdout
    # the workers' CPU (toy experiments, torch imported in each) reached our accounting
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert cpu > 1.0


def test_publish_is_one_swap_and_keeps_a_standby(tmp_path: Path) -> None:
    from mlcollage.render.publish import publish, staging

    out = tmp_path / "_site"
    state = tmp_path / ".mlcollage"
    a = publish({"index.html": b"a", "x/y.html": b"1"}, {}, out, state_dir=state)
    assert (out / "index.html").read_bytes() == b"a"
    b = publish({"index.html": b"b"}, {}, out, trees=a, state_dir=state)
    folder, prefix = staging(out, state)
    standby = folder / f"{prefix}.standby"
    assert folder == state / "publish"  # same file system: out of the user's way
    assert (standby / "x/y.html").read_bytes() == b"1"  # the previous site, whole
    c = publish({"index.html": b"c"}, {}, out, trees=b, state_dir=state)
    # the standby (the site before the last) was brought up to date: x/ emptied and removed
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        ".mlcollage-site", "index.html"]
    assert (out / "index.html").read_bytes() == b"c"
    assert str(os.stat(out).st_ino) in c


def test_leftovers_of_a_killed_publish_are_removed(tmp_path: Path) -> None:
    from mlcollage.render.publish import publish

    out = tmp_path / "_site"
    publish({"index.html": b"a"}, {}, out)
    from mlcollage.render.publish import staging

    folder, prefix = staging(out, None)
    half = folder / f"{prefix}.tmp-dead"
    (half / "x").mkdir(parents=True)
    moved = tmp_path / "._site.old-123"  # the two-rename fallback killed between its renames
    os.rename(out, moved)
    publish({"index.html": b"b"}, {}, out)
    assert not half.exists() and not moved.exists()
    assert (out / "index.html").read_bytes() == b"b"


def test_draft_folders_are_removed_by_incremental_builds(frozen: Path, tmp_path: Path) -> None:
    project = frozen
    build(project)
    paper = project / "site_src/2020-01/beta-2018-second/index.md"
    paper.write_text(paper.read_text().replace("---\n", "---\ndraft: true\n", 1))
    build(project)
    assert not (project / "_site/2020-01/beta-2018-second").exists()
    assert (project / "_site/2020-01/alpha-2019-toy/index.html").is_file()


def test_two_builds_at_once_wait_for_each_other(frozen: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    project = frozen
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen([sys.executable, "-m", "mlcollage.cli", "build", "-C", str(project)],
                         stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    published = [e for e in errs if "mlcollage: published" in e]
    up_to_date = [e for e in errs if "nothing changed" in e]
    # the no-op check is under the lock: whichever came second (waiting or not) finds the
    # first's site up to date, and builds nothing
    assert len(published) == 1 and len(up_to_date) == 1, errs
    cold = make_project(tmp_path / "cold")
    shutil.rmtree(cold / "figures")
    shutil.copytree(project / "figures", cold / "figures")
    build(cold)
    assert snapshot(project / "_site") == snapshot(cold / "_site")  # whole, and the same bytes


def test_a_build_that_waited_checks_again_and_finds_the_site_up_to_date(frozen: Path) -> None:
    """The waiter's no-op check runs after the lock is its own, not before it waited."""
    import dataclasses
    import subprocess
    import sys

    from mlcollage.commands import build as build_command
    from mlcollage.options import Options
    from mlcollage.state.lock import build_lock

    project = frozen
    build(project)
    paper = project / ALPHA / "index.md"
    paper.write_text(paper.read_text() + "\nOne more sentence.\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    opts = dataclasses.replace(Options(project=project), verbosity=-1)
    with build_lock(opts.state_dir, "test") as clean:
        waiter = subprocess.Popen(
            [sys.executable, "-m", "mlcollage.cli", "build", "-C", str(project)],
            stderr=subprocess.PIPE, text=True, env=env)
        assert waiter.stderr is not None
        first = waiter.stderr.readline()  # it sees the edit only after the lock is its own
        assert "mlcollage: waiting for test pid" in first, first
        assert build_command._run_locked(opts, clean) == 0  # the edit, built under our lock
    rest = waiter.communicate(timeout=300)[1]
    assert waiter.returncode == 0, rest
    assert "nothing changed" in rest and "published" not in rest, rest
    assert "One more sentence." in (project / "_site" / ALPHA.split("site_src/")[-1]
                                    / "index.html").read_text()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    from mlcollage.state.lock import LOCK, build_lock

    state = tmp_path / ".mlcollage"
    state.mkdir()
    (state / LOCK).write_text("build pid 999999 since 00:00:00\n")  # its flock died with it
    with build_lock(state):
        assert f"pid {os.getpid()}" in (state / LOCK).read_text()
    assert (state / LOCK).read_text() == ""


def test_symlink_out_of_the_site_is_not_published(frozen: Path, tmp_path: Path) -> None:
    project = frozen
    secret = tmp_path / "secret.txt"
    secret.write_text("machine's own file\n")
    (project / ALPHA / "leak.txt").symlink_to(secret)
    result = build(project)
    assert f"{project / ALPHA / 'leak.txt'}: a symlink to {secret}, outside the site; " \
        "not published" in result.err
    assert not (project / "_site/2020-01/alpha-2019-toy/leak.txt").exists()
    assert (project / "_site/2020-01/alpha-2019-toy/notes.txt").is_file()


@pytest.mark.parametrize("data,line", [(b"{# caf\xe9 #}\n", 1), (b"ok\n\xff\n", 2)])
def test_template_not_utf8_is_bad_input(tmp_path: Path, data: bytes, line: int) -> None:
    project = make_project(tmp_path / "proj")
    (project / "templates/_footer.html").write_bytes(data)
    result = run_cli("build", "-C", project, "--no-run")
    assert result.code == 2, result.err
    assert f"{project / 'templates/_footer.html'}:{line}: not valid UTF-8" in result.err
    assert "Traceback" not in result.err
    assert not (project / "_site").exists()


HOSTILE_TITLE = "<script>alert(1)</script><b>Bold</b> & <i>co</i>"


def test_feed_is_valid_atom_with_escaped_titles_and_absolute_links(frozen: Path) -> None:
    import re

    import feedparser

    project = frozen
    beta = project / "site_src/2020-01/beta-2018-second/index.md"
    beta.write_text(beta.read_text().replace("title: The Second Paper",
                                             f"title: '{HOSTILE_TITLE}'"))
    month = project / "site_src/2020-01/index.md"
    month.write_text(month.read_text().replace("title: January 2020", "title: '<i>Jan</i> 2020'"))
    build(project)
    feed = feedparser.parse((project / "_site/feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    entry = feed.entries[0]
    assert entry.title == "<i>Jan</i> 2020" and entry.title_detail.type == "text/plain"
    html = entry.content[0].value  # after feedparser's sanitiser, as a feed reader shows it
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;" in html
    assert "<b>" not in html and "<script" not in html
    raw = (project / "_site/feed.xml").read_text()
    urls = re.findall(r'(?:href|src)="([^"]*)"', raw)
    for e in feed.entries:
        urls += re.findall(r'(?:href|src)="([^"]*)"', e.content[0].value)
        urls += [link.href for link in e.links]
    assert urls and all(u.startswith("https://example.org/fixture/") for u in urls), urls
    assert "https://example.org/fixture/2019-12/index.html" in urls  # the intro's ../2019-12/


def test_summary_links_follow_the_page_that_shows_them(frozen: Path) -> None:
    project = frozen
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text() + "\nSee the [notes](notes.txt) and ![a](notes.txt#x).\n")
    build(project)
    paper = (project / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    month = (project / "_site/2020-01/index.html").read_text()
    assert 'href="notes.txt"' in paper and 'src="notes.txt#x"' in paper
    assert 'href="alpha-2019-toy/notes.txt"' in month and 'src="alpha-2019-toy/notes.txt#x"' in month
    result = run_cli("check", "--links", "-C", project)
    assert result.code == 0, result.err


def test_link_to_a_missing_file_is_reported_at_its_source_line(frozen: Path) -> None:
    project = frozen
    build(project)
    before = snapshot(project / "_site")
    index = project / ALPHA / "index.md"
    text = index.read_text() + "\nThe [data](data/missing.csv) is gone.\n"
    index.write_text(text)
    line = text.splitlines().index("The [data](data/missing.csv) is gone.") + 1
    result = build(project, code=2)
    assert f"{index}:{line}: link 'data/missing.csv' leads to no file of the site; expected " \
        "a file beside this index.md" in result.err
    assert snapshot(project / "_site") == before


def test_real_path_from_known_folders_is_realpath(tmp_path: Path) -> None:
    from mlcollage.content.inputs import real_path

    (tmp_path / "site/a/b").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "site/a/b/f.md").write_text("x")
    (tmp_path / "elsewhere/secret").write_text("s")
    os.symlink(tmp_path / "elsewhere", tmp_path / "site/a/out")  # a folder link out
    os.symlink(tmp_path / "elsewhere/secret", tmp_path / "site/a/b/link.md")  # a file link out
    os.symlink("b", tmp_path / "site/a/rel")  # a relative folder link inside
    known: dict[str, str] = {}
    for base in (str(tmp_path), os.path.relpath(tmp_path)):
        for rel in ["site/a/b/f.md", "site/a/b/link.md", "site/a/out/secret", "site/a/rel/f.md",
                    "site/a/rel/link.md", "site/a/b/../b/f.md", "site/a/missing/x.md", "site/a/b",
                    "site/a/out", "site/./a/b/f.md", "site"]:
            path = os.path.join(base, rel)
            assert real_path(path, known) == os.path.realpath(path), path
            assert real_path(path, known) == os.path.realpath(path), path  # from `known` now
