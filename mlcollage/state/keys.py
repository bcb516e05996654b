"""The versions that can change a result, read from package metadata (nothing is imported)."""

from __future__ import annotations

from functools import cache
from importlib import metadata


@cache
def versions() -> dict[str, str]:
    """The versions that can change a result (read from metadata: torch is not imported)."""
    out = {}
    for name in ("mlcollage", "torch", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "none"
    return out
