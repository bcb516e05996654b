"""The package as a user gets it: the wheel and sdist carry the theme; installed without torch,
`init` + `build --no-run` publish; with the run extra, `build` runs the example and draws."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from helpers import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "mlcollage").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_publishing_needs_neither_torch_nor_the_science_stack() -> None:
    core = " ".join(PYPROJECT["project"]["dependencies"])
    for heavy in ("torch", "numpy", "matplotlib", "scipy", "scikit-learn"):
        assert heavy not in core
        assert any(d.startswith(heavy) for d in PYPROJECT["project"]["optional-dependencies"]["run"])
    assert PYPROJECT["project"]["license"] == "MIT"  # PEP 639: an SPDX expression
    assert (REPO / "LICENSE").read_text().startswith("MIT License")


def sh(*cmd: str | Path, cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 0, f"{cmd}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.slow
def test_wheel_into_a_fresh_venv_without_torch_then_with_the_run_extra(tmp_path: Path) -> None:
    """~1-2 min: builds the wheel and sdist, pip-installs the wheel's dependencies (registry)."""
    dist = tmp_path / "dist"
    # (not from the repository root: its build.py would shadow the `build` package)
    sh(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, REPO, cwd=tmp_path)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    theme = {p.relative_to(REPO / "templates").as_posix()
             for p in (REPO / "templates").rglob("*") if p.is_file()}
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"mlcollage/theme/{t}" for t in theme} <= names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {f"templates/{t}" for t in theme} | {"LICENSE"} <= members

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    py = env / "bin" / "python"
    sh(py, "-m", "pip", "install", "-q", "-c", REPO / "constraints.txt", wheel, cwd=tmp_path)
    freeze = sh(py, "-m", "pip", "freeze", cwd=tmp_path).lower()
    for heavy in ("torch", "numpy", "matplotlib", "pillow", "scipy"):
        assert f"\n{heavy}==" not in "\n" + freeze, heavy
    exe = env / "bin" / "mlcollage"
    sh(exe, "init", "mysite", cwd=tmp_path)
    site = tmp_path / "mysite"
    out = sh(exe, "build", "--no-run", cwd=site)
    assert "slide(s) not drawn" in out
    assert (site / "_site/index.html").is_file()
    (site / "templates").mkdir()
    (site / "templates/_footer.html").write_text("<footer>overridden</footer>\n")
    sh(exe, "build", "--no-run", cwd=site)
    assert "<footer>overridden</footer>" in (site / "_site/index.html").read_text()

    # the run extra: this interpreter's packages (pinned by constraints.txt: torch==2.13.0),
    # appended to the venv's path, behind the wheel's own mlcollage
    purelib = sysconfig.get_paths()["purelib"]
    site_packages = next((env / "lib").glob("python3*/site-packages"))
    (site_packages / "zz-run-extra.pth").write_text(purelib + "\n")
    where = sh(py, "-c", "import mlcollage, torch; print(mlcollage.__file__, torch.__version__)",
               cwd=tmp_path)
    assert str(site_packages) in where and "2.13.0" in where
    out = sh(exe, "build", "--force", "-j", "2", cwd=site)
    assert "ran" in out and "1/1" in out  # the example's claim held on every seed
    (slide,) = site.glob("figures/*/example-*/slide.png")
    (page,) = site.glob("_site/*/example-*/index.html")
    assert "slide.png" in page.read_text()
    assert slide.stat().st_size > 10_000
