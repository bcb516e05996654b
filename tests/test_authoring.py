"""Authoring: `new`, drafts and future digests, `check --links`, and the live-reload server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO, run_cli

ARGS = ["2021-03", "--arxiv", "2006.10739", "--title",
        "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional Domains",
        "--authors", "Matthew Tancik; Pratul P. Srinivasan; Ben Mildenhall"]


def test_new_then_build_shows_the_paper(project: Path) -> None:
    result = run_cli("new", "-C", project, *ARGS)
    assert result.code == 0, result.err
    folder = project / "site_src/2021-03/tancik-2020-fourier-features"
    assert {p.name for p in folder.iterdir()} == {"index.md", "experiment.py"}
    assert (project / "site_src/2021-03/index.md").is_file()
    build = run_cli("build", "-C", project)
    assert build.code == 0, build.err
    digest = (project / "_site/2021-03/index.html").read_text()
    assert "Fourier Features Let Networks" in digest
    assert "gradient descent recovers the slope" in digest  # the starter experiment ran, claim checked
    strict = run_cli("check", "-C", project, "--strict")
    assert strict.code == 1 and "unfilled scaffold text" in strict.err


def test_new_refuses_to_overwrite(project: Path) -> None:
    assert run_cli("new", "-C", project, *ARGS).code == 0
    index = project / "site_src/2021-03/tancik-2020-fourier-features/index.md"
    index.write_text(index.read_text().replace("TODO: the paper's main finding", "Mine"))
    before = index.read_text()
    result = run_cli("new", "-C", project, *ARGS)
    assert result.code == 2 and "already exists; not overwriting" in result.err
    assert index.read_text() == before


def test_new_from_bibtex(project: Path, tmp_path: Path) -> None:
    bib = tmp_path / "paper.bib"
    bib.write_text("""@inproceedings{rahaman2019spectral,
  title     = {On the Spectral Bias of {Neural} Networks},
  author    = {Rahaman, Nasim and Baratin, Aristide and Arpit, Devansh},
  booktitle = {International Conference on Machine Learning},
  year      = 2019,
}""")
    result = run_cli("new", "-C", project, "2021-04", "--bibtex", bib, "--no-experiment")
    assert result.code == 0, result.err
    index = project / "site_src/2021-04/rahaman-2019-spectral-bias/index.md"
    text = index.read_text()
    assert 'title: "On the Spectral Bias of Neural Networks"' in text
    assert '"Nasim Rahaman", "Aristide Baratin", "Devansh Arpit"' in text
    assert 'venue: "International Conference on Machine Learning"' in text
    assert not (index.parent / "experiment.py").exists()


@pytest.mark.parametrize("args,message", [
    (["2021-13", "--title", "T", "--authors", "A"], "month '2021-13' is not a month"),
    (["2021-03", "--title", "T"], "--title and --authors are required"),
    (["2021-03", "--bibtex", "/nonexistent.bib"], "cannot read"),
])
def test_new_bad_arguments(project: Path, args: list[str], message: str) -> None:
    result = run_cli("new", "-C", project, *args)
    assert result.code == 2 and message in result.err


def test_drafts_left_out_unless_asked(project: Path) -> None:
    index = project / "site_src/2020-01/beta-2018-second/index.md"
    index.write_text(index.read_text().replace("year: 2018", "year: 2018\ndraft: true"))
    assert run_cli("build", "-C", project).code == 0
    assert not (project / "_site/2020-01/beta-2018-second").exists()
    assert "The Second Paper" not in (project / "_site/2020-01/index.html").read_text()
    assert run_cli("build", "-C", project, "--drafts").code == 0
    page = (project / "_site/2020-01/beta-2018-second/index.html").read_text()
    assert "draft-banner" in page


def test_future_digest_left_out_with_notice(project: Path) -> None:
    month = project / "site_src/2999-01"
    (month).mkdir()
    (month / "index.md").write_text("---\ntitle: The future\ndate: 2999-01-31\n---\nSoon.\n")
    result = run_cli("build", "-C", project)
    assert result.code == 0
    assert f"notice: {month / 'index.md'}: digest dated 2999-01-31 is in the future; left out" in result.err
    assert not (project / "_site/2999-01").exists()
    assert run_cli("build", "-C", project, "--future").code == 0
    assert (project / "_site/2999-01/index.html").is_file()


def test_check_links(project: Path) -> None:
    assert run_cli("build", "-C", project).code == 0
    ok = run_cli("check", "-C", project, "--links")
    assert ok.code == 0, ok.err
    index = project / "site_src/2020-01/beta-2018-second/index.md"
    text = index.read_text()
    index.write_text(text + "\nSee [the notes](missing-notes.html).\n")
    failed = run_cli("build", "-C", project)  # the build itself reports it, at the source line
    assert failed.code == 2 and f"{index}:{len(text.splitlines()) + 2}: link " \
        "'missing-notes.html' leads to no file of the site" in failed.err
    index.write_text(text)
    page = project / "_site/2020-01/beta-2018-second/index.html"  # an output edited by hand
    page.write_text(page.read_text().replace("</main>", '<a href="missing-notes.html">x</a></main>'))
    bad = run_cli("check", "-C", project, "--links")
    assert bad.code == 1 and "broken link 'missing-notes.html'" in bad.err


def test_check_links_on_the_real_site(tmp_path: Path) -> None:
    """The repository's digest, built in a copy (the build writes `.mlcollage/` and would redraw
    a stale slide in `figures/`: the working tree is not the test's to change)."""
    import shutil

    project = tmp_path / "repo"
    for name in ("site_src", "templates", "figures"):
        shutil.copytree(REPO / name, project / name)
    out = tmp_path / "site"
    assert run_cli("build", "-C", project, "--out", out, "--no-run").code == 0
    result = run_cli("check", "-C", project, "--links", "--out", out)
    assert result.code == 0, result.err


# ---------------------------------------------------------------------------------------------
# the dev server


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@pytest.fixture
def server(project: Path):
    """`mlcollage serve --port 0` in a subprocess; yields (base URL, project, stderr path)."""
    import shutil

    shutil.rmtree(project / "figures")
    shutil.copytree(REPO / "tests/data/figures", project / "figures")  # frozen: nothing to run
    log = project.parent / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "mlcollage.cli", "serve", "-C", str(project),
                                 "--port", "0"], stdout=fh, stderr=subprocess.STDOUT, env=env,
                                # as in a terminal, even when the tests run as a background job
                                # (which starts with SIGINT ignored, and children inherit that)
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", log.read_text())
            if m:
                break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        else:
            pytest.fail("server did not start: " + log.read_text())
        assert not m.group(1).endswith(":8000/")  # --port 0: a free port, not the default
        yield m.group(1), project, log
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        proc.wait(timeout=20)
    served = re.search(r"files to (\S+)/site", log.read_text())
    assert served and not Path(served.group(1)).exists()  # Ctrl-C leaves nothing behind


def wait_for(check, seconds: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def test_serve_reloads_prose_edit_without_running_experiments(server) -> None:
    url, project, log = server
    page = url + "2020-01/alpha-2019-toy/index.html"
    html = get(page)
    assert "fits a line" in html and "mlcollage serve: live reload" in html
    results = {p: p.stat().st_mtime_ns for p in project.glob("figures/**/result.json")}
    version = json.loads(get(url + "__mlcollage/status"))["version"]
    index = project / "site_src/2020-01/alpha-2019-toy/index.md"
    index.write_text(index.read_text().replace("fits a line", "fits a straight line"))
    wait_for(lambda: "fits a straight line" in get(page), 2.0)  # raises past 2 s
    assert "fits a line" not in get(page)  # the edited text replaced the old, not added to it
    wait_for(lambda: json.loads(get(url + "__mlcollage/status"))["version"] > version, 2.0)
    assert {p: p.stat().st_mtime_ns for p in project.glob("figures/**/result.json")} == results
    assert " ran " not in log.read_text()


def test_serve_survives_a_broken_edit(server) -> None:
    url, project, _ = server
    index = project / "site_src/2020-01/alpha-2019-toy/index.md"
    good = index.read_text()
    index.write_text(good.replace("title: A Toy Paper", "title: [A Toy Paper"))
    wait_for(lambda: json.loads(get(url + "__mlcollage/status"))["error"] != "", 10.0)
    status = json.loads(get(url + "__mlcollage/status"))
    assert "index.md:2: invalid YAML" in status["error"]
    assert "A Toy Paper about Linear Regression" in get(url + "index.html")  # last good site still served
    index.write_text(good.replace("A Toy Paper about", "A Fixed Toy Paper about"))
    wait_for(lambda: "A Fixed Toy Paper" in get(url + "index.html"), 10.0)  # correctness, not speed
    wait_for(lambda: json.loads(get(url + "__mlcollage/status"))["error"] == "", 10.0)


def test_published_build_has_no_live_reload(project: Path) -> None:
    assert run_cli("build", "-C", project).code == 0
    for page in (project / "_site").rglob("*.html"):
        assert "__mlcollage" not in page.read_text()
