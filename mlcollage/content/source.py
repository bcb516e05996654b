"""Read an experiment's `Config` fields from its source without importing it (no torch import)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mlcollage.model import ControlSpec, DeviationSpec

UNKNOWN = object()
"""A default that is not a literal (a call, a name): its kind cannot be checked statically."""


def _module(script: Path) -> ast.Module | None:
    """The parsed experiment file, None when unreadable or not Python; parsed once per version
    of the file (its mtime), however many declarations are read from it."""
    try:
        return _parse(script, script.stat().st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=256)
def _parse(script: Path, _mtime: int) -> ast.Module | None:
    try:
        return ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None


def config_fields(script: Path) -> dict[str, Any] | None:
    """Field name -> literal default (or UNKNOWN) of `class Config`, None when not found."""
    tree = _module(script)
    if tree is None:
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
    tree = _module(script)
    if tree is None:
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


# ---------------------------------------------------------------------------------------------
# the negative controls, deviations and claim ids, read without running anything


@dataclass(frozen=True)
class Declared:
    """What an experiment file declares at module level, read by `ast` (literals only)."""

    controls: tuple[ControlSpec, ...] = ()
    deviations: tuple[DeviationSpec, ...] = ()
    claim_ids: tuple[str, ...] = ()
    """Every literal claim id of the file (`Claim("id", ...)`, `Claim(id="id", ...)`)."""
    problems: tuple[tuple[int, str], ...] = ()
    """(line, message) for a declaration that is not literal data."""


def declared(script: Path) -> Declared:
    """CONTROLS, DEVIATIONS and claim ids of ``script`` (empty when it cannot be parsed)."""
    tree = _module(script)
    if tree is None:
        return Declared()
    controls: list[ControlSpec] = []
    deviations: list[DeviationSpec] = []
    problems: list[tuple[int, str]] = []
    for node in tree.body:
        target = _assigned(node)
        if target == "CONTROLS":
            for call in _calls(node.value, "Control", problems):
                kw = _literal_args(call, ("name", "label", "override", "breaks", "mode"), problems)
                if kw is not None:
                    controls.append(
                        ControlSpec(
                            name=str(kw.get("name", "")),
                            label=" ".join(str(kw.get("label", "")).split()),
                            override=dict(kw.get("override") or {}),
                            breaks=tuple(kw.get("breaks") or ()),
                            mode=str(kw.get("mode", "quick")),
                            line=call.lineno,
                        )
                    )
        elif target == "DEVIATIONS":
            for call in _calls(node.value, "Deviation", problems):
                kw = _literal_args(call, ("what", "paper", "ours", "why"), problems)
                if kw is not None:
                    deviations.append(DeviationSpec(**{k: " ".join(str(kw.get(k, "")).split())
                                                       for k in ("what", "paper", "ours", "why")}))
    return Declared(tuple(controls), tuple(deviations), _claim_ids(tree), tuple(problems))


def _assigned(node: ast.stmt) -> str:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target = node.target
    else:
        return ""
    return target.id if isinstance(target, ast.Name) else ""


def _calls(value: ast.expr | None, name: str, problems: list) -> list[ast.Call]:
    if not isinstance(value, ast.List | ast.Tuple):
        problems.append((getattr(value, "lineno", 1), f"expected a list of {name}(...)"))
        return []
    out = []
    for item in value.elts:
        func = item.func if isinstance(item, ast.Call) else None
        if isinstance(func, ast.Name) and func.id == name:
            out.append(item)
        else:
            problems.append((item.lineno, f"expected {name}(...) with literal arguments"))
    return out


def _literal_args(call: ast.Call, names: tuple[str, ...], problems: list) -> dict | None:
    try:
        kw = {names[i]: ast.literal_eval(a) for i, a in enumerate(call.args)}
        kw |= {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (ValueError, IndexError, TypeError):
        problems.append((call.lineno, "arguments must be literals (strings, numbers, lists, "
                                      "dicts) so that `mlcollage check` can read them"))
        return None
    return kw


def _claim_ids(tree: ast.Module) -> tuple[str, ...]:
    ids: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        named = (isinstance(func, ast.Name) and func.id == "Claim") or (
            isinstance(func, ast.Attribute) and func.attr == "baseline_learned"
            and isinstance(func.value, ast.Name) and func.value.id == "Claim")
        if not named:
            continue
        arg = next((k.value for k in node.keywords if k.arg == "id"), None)
        if arg is None and node.args:
            arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value not in ids:
            ids.append(arg.value)
    return tuple(ids)
