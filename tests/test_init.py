"""`mlcollage init`: a site that builds at once, also where torch, numpy and matplotlib are not
installed (a subprocess that cannot import them), and a theme overridden file by file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlcollage.content.schema import SITE_FIELDS
from mlcollage.content.starter import FROZEN, SKELETON

from helpers import REPO, run_cli

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "numpy", "matplotlib", "PIL", "scipy", "sklearn"):
            raise ImportError(f"{name} is blocked: this process plays a machine without it")
sys.meta_path.insert(0, Block())
from mlcollage.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cli_without_science(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`mlcollage ARGS` in a process where torch, numpy, matplotlib & co. cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", BLOCK, *args], cwd=cwd, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120,
    )


def test_init_then_build_no_run_without_torch_numpy_or_matplotlib(tmp_path: Path) -> None:
    made = cli_without_science("init", "mysite", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    site = tmp_path / "mysite"
    for name in ("site_src/site.yaml", ".gitignore", ".github/workflows/pages.yml", "README.md"):
        assert (site / name).is_file(), name
    built = cli_without_science("build", "--no-run", cwd=site)
    assert built.returncode == 0, built.stderr
    assert "slide(s) not drawn" in built.stderr and "mlcollage[run]" in built.stderr
    (paper,) = site.glob("_site/*/example-*/index.html")
    html = paper.read_text()
    assert "gradient descent recovers the slope" in html  # the frozen, checked claim
    assert "untrained" in html  # ... and its control
    # one file of the theme replaced: the site's own footer, the rest is the packaged theme
    (site / "templates").mkdir()
    (site / "templates/_footer.html").write_text("<footer>my own footer</footer>\n")
    again = cli_without_science("build", "--no-run", cwd=site)
    assert again.returncode == 0, again.stderr
    home = (site / "_site/index.html").read_text()
    assert "<footer>my own footer</footer>" in home and "Built with mlcollage" not in home
    assert (site / "_site/assets/style.css").read_bytes() == (
        REPO / "templates/assets/style.css").read_bytes()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site/notes.txt").write_text("mine")
    result = run_cli("init", tmp_path / "site")
    assert result.code == 2 and "not empty" in result.err
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["notes.txt"]


def test_build_without_a_site_says_how_to_start_one(tmp_path: Path) -> None:
    result = run_cli("build", "-C", tmp_path)
    assert result.code == 2
    assert "mlcollage init" in result.err and "-C" in result.err


def test_the_frozen_example_results_are_current_for_the_starter(tmp_path: Path) -> None:
    """Fails after an edit to the starter experiment until `scripts/freeze_starter.py` ran."""
    assert run_cli("init", tmp_path / "s").code == 0
    check = run_cli("check", "--strict", "-C", tmp_path / "s")
    assert check.code == 0, check.err + "\n(run `python scripts/freeze_starter.py`)"
    records = [json.loads(p.read_text()) for p in FROZEN.rglob("result.json")]
    assert sorted((r["seed"], r.get("control", "")) for r in records) == [
        (0, ""), (0, "untrained"), (1, ""), (2, "")]


def test_the_starter_site_yaml_comments_every_field() -> None:
    text = (SKELETON / "site.yaml").read_text()
    for name in SITE_FIELDS:
        assert f"\n{name}:" in text or f"\n# {name}:" in text, name


@pytest.mark.parametrize("verb,flag", [("clean", "--drafts"), ("new 2021-03", "--future"),
                                       ("serve", "--drafts"), ("check", "--force")])
def test_a_flag_that_does_nothing_on_a_verb_is_refused(verb: str, flag: str) -> None:
    result = run_cli(*verb.split(), flag)
    assert result.code == 2 and "unrecognized arguments" in result.err
