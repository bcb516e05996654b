"""Installed versions (read from package metadata) and what can be imported: nothing is imported."""

from __future__ import annotations

from functools import cache


@cache
def versions() -> dict[str, str]:
    """The versions that can change a result (from package metadata: torch is not imported;
    `memo.installed`: read again only after an install)."""
    from mlcollage.state.memo import installed

    return {name: version or "none"
            for name, version in installed("mlcollage", "torch", "numpy").items()}


def importable(*names: str) -> bool:
    """Whether every module can be found (found, not imported: the science stack is heavy)."""
    from importlib.util import find_spec

    for name in names:
        try:
            if find_spec(name) is None:
                return False
        except (ImportError, ValueError):  # a finder that refuses it; a module set to None
            return False
    return True
