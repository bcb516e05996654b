"""Read an experiment's `Config` fields from its source without importing it (no torch import)."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import Any

UNKNOWN = object()
"""A default that is not a literal (a call, a name): its kind cannot be checked statically."""


def config_fields(script: Path) -> dict[str, Any] | None:
    """Field name -> literal default (or UNKNOWN) of `class Config`, None when not found."""
    try:
        return _fields(script, script.stat().st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=256)
def _fields(script: Path, _mtime: int) -> dict[str, Any] | None:
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            out: dict[str, Any] = {}
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    try:
                        out[item.target.id] = (
                            ast.literal_eval(item.value) if item.value else UNKNOWN
                        )
                    except ValueError:
                        out[item.target.id] = UNKNOWN
            return out
    return None


def same_kind(default: Any, value: Any) -> bool:
    """Whether an override ``value`` fits a field whose default is ``default``."""
    if default is UNKNOWN or default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, tuple | list):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


CAVEAT_NAMES = ("CAVEAT", "SUBSTITUTION")


def caveat(script: Path) -> str:
    """The experiment's module-level `CAVEAT` (or `SUBSTITUTION`) string, whitespace collapsed."""
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in CAVEAT_NAMES:
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    continue
                if isinstance(value, str):
                    found[target.id] = " ".join(value.split())
    return next((found[n] for n in CAVEAT_NAMES if n in found), "")
