"""The build end to end on the fixture project: golden output, atomic swap, determinism, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlcollage.render.linkcheck import check_links

from helpers import EXPECTED, REPO, build, run_cli, snapshot


def built(project: Path, *flags: str | Path) -> Path:
    """Build and return the site folder."""
    build(project, *flags)
    return project / "_site"


TEXT = (".html", ".xml", ".txt", ".css", ".js", ".json")


def test_golden_output(project: Path) -> None:
    """The fixture site renders to the committed expected output (regenerate: see README)."""
    from regenerate import golden_project

    site = built(golden_project(project))
    got = {k: v for k, v in snapshot(site).items()
           if k.endswith(TEXT) and not k.startswith("assets/vendor/")}
    want = {k: v for k, v in snapshot(EXPECTED).items() if k.endswith(TEXT)}
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name].decode() == want[name].decode(), f"{name} differs; run tests/regenerate.py"


def test_two_builds_identical_bytes(project: Path, tmp_path: Path) -> None:
    first = snapshot(built(project))
    second = snapshot(built(project))
    assert first == second
    other = built(project, "--out", tmp_path / "other")
    assert snapshot(other) == first


def test_pages_and_files(project: Path) -> None:
    site = built(project)
    for rel in [
        "index.html",
        "2020-01/index.html",
        "2020-01/alpha-2019-toy/index.html",
        "2020-01/beta-2018-second/index.html",
        "2019-12/gamma-2019-old/index.html",
        "tags/index.html",
        "tags/toy/index.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "assets/style.css",
    ]:
        assert (site / rel).is_file(), rel
    home = (site / "index.html").read_text()
    assert home.index("January 2020") < home.index("December 2019")  # newest first
    digest = (site / "2020-01/index.html").read_text()
    assert digest.index("The Second Paper") < digest.index("A Toy Paper")  # front-matter order
    assert "without an experiment &amp; with an ampersand" in digest


def test_feed_and_sitemap_valid(project: Path) -> None:
    site = built(project)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(site / "feed.xml").getroot()
    entries = feed.findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["January 2020", "December 2019"]
    for entry in entries:
        assert entry.find("a:id", ns).text.startswith("https://example.org/fixture/")
        assert entry.find("a:updated", ns).text.endswith("T00:00:00Z")
    assert feed.find("a:updated", ns).text == "2020-01-31T00:00:00Z"
    urls = [
        u.text
        for u in ET.parse(site / "sitemap.xml")
        .getroot()
        .iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert "https://example.org/fixture/2020-01/alpha-2019-toy/" in urls
    assert all(u.startswith("https://example.org/fixture/") for u in urls)


def test_links_are_relative_and_resolve(project: Path) -> None:
    site = built(project)
    assert check_links(site) == []
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert 'href="/' not in text or page.name == "404.html", page
        assert "http://" not in text.replace("http://www.w3.org", "")


def test_failed_build_leaves_previous_site(project: Path) -> None:
    site = built(project)
    before = snapshot(site)
    paper = project / "site_src/2020-01/beta-2018-second/index.md"
    paper.write_text("---\ntitle: [broken\n---\n")
    result = run_cli("build", "-C", project)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{paper}:2: invalid YAML" in result.err
    assert snapshot(site) == before
    assert sorted(p.name for p in project.iterdir()) == [
        ".mlcollage",
        "_site",
        "figures",
        "site_src",
        "templates",
    ]


def test_refuses_to_replace_foreign_folder(project: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    result = run_cli("build", "-C", project, "--out", foreign)
    assert result.code == 2 and "not made by mlcollage" in result.err
    assert (foreign / "thesis.tex").read_text() == "precious"


def test_base_url_override(project: Path) -> None:
    site = built(project, "--base-url", "https://user.github.io/repo")
    assert "https://user.github.io/repo/2020-01/" in (site / "sitemap.xml").read_text()
    assert 'href="/repo/assets/style.css"' in (site / "404.html").read_text()
    assert run_cli("build", "-C", project, "--base-url", "ftp://x").code == 2


def test_clean(project: Path) -> None:
    built(project)
    result = run_cli("clean", "-C", project)
    assert result.code == 0 and not (project / "_site").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["build", "--jobs", "-1"],
        ["build", "--nope"],
        [],
        ["build", "--timeout", "0"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run_cli(*args).code == 2


def test_only_unknown_slug(project: Path) -> None:
    result = run_cli("build", "-C", project, "--only", "nope")
    assert result.code == 2 and "no paper with slug 'nope'" in result.err


def test_check_ok(project: Path) -> None:
    result = run_cli("check", "-C", project)
    assert result.code == 0, result.err


def test_help_imports_neither_torch_nor_matplotlib() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from mlcollage.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(['--help'])\n"
        "bad = [m for m in ('torch', 'matplotlib', 'jinja2', 'numpy') if m in sys.modules]\n"
        "print(rc, bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert out.stdout.strip() == "0 []"


def test_build_py_is_the_build_command(project: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "-C", str(project)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert (project / "_site/index.html").is_file()
