"""Fixtures shared by the tests (helpers live in helpers.py: conftest modules are not importable
by name when several folders have one)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# the suite builds in process many times: one fork server (torch imported once) serves them all;
# a build run as its own command stops its server (tests/test_hardening.py checks that)
os.environ["MLCOLLAGE_KEEP_FORKSERVER"] = "1"

from helpers import DATA, build, make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """figures/ of the fixture project with its frozen results and slides drawn once."""
    project = make_project(tmp_path_factory.mktemp("drawn") / "proj")
    shutil.rmtree(project / "figures")
    shutil.copytree(DATA / "figures", project / "figures")
    build(project)
    return project / "figures"


@pytest.fixture
def frozen(tmp_path: Path, drawn: Path) -> Path:
    """A fixture project whose builds run and draw nothing (they only render and publish)."""
    project = make_project(tmp_path / "proj")
    shutil.rmtree(project / "figures")
    shutil.copytree(drawn, project / "figures")
    return project
