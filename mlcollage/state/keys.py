"""Installed versions (read from package metadata) and what can be imported: nothing is imported."""

from __future__ import annotations

from functools import cache


@cache
def versions() -> dict[str, str]:
    """The versions that can change a result (read from metadata: torch is not imported;
    `importlib.metadata` itself, ~20 ms, only when asked)."""
    from importlib import metadata

    out = {}
    for name in ("mlcollage", "torch", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "none"
    return out


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
