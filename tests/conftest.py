"""Fixtures shared by the tests (helpers live in helpers.py: conftest modules are not importable
by name when several folders have one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# the suite builds in process many times: one fork server (torch imported once) serves them all;
# a build run as its own command stops its server (tests/test_hardening.py checks that)
os.environ["MLCOLLAGE_KEEP_FORKSERVER"] = "1"

from helpers import make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")
