"""Fixtures shared by the tests (helpers live in helpers.py: conftest modules are not importable
by name when several folders have one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")
