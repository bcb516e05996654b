"""The package's shape: data flows one way (load -> run -> draw -> render), no import cycles.

Every import of mlcollage inside mlcollage is read with `ast`, lazy ones (inside functions)
included, and checked against the layers ARCHITECTURE.md draws.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mlcollage"

RANK = {
    # leaves: import nothing of mlcollage
    "options": 0, "model": 0, "files": 0, "text": 0, "experiment": 0, "i18n": 0, "processes": 0,
    "state": 1,      # .mlcollage/: the disposable build state
    "content": 2,    # step 1: load and validate
    "run": 3,        # step 2
    "worker": 3.5,   # the stable import path of run/worker.py (Dask and submitit pickle by it)
    "draw": 4,       # step 3
    "render": 5,     # step 4 (and publish)
    "pipeline": 6,   # the flow
    "quick": 6,      # the quick rebuild of a prose edit (serve, build): a short flow beside it
    "commands": 7,   # one module per verb
    "cli": 8,        # argparse -> Options -> a verb
}


def module_sources(root: Path = PACKAGE) -> dict[str, str]:
    """'mlcollage.run.plan' -> its source, for every module of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path.read_text(encoding="utf-8")
    return out


def imports(name: str, source: str, known: set[str]) -> set[str]:
    """The mlcollage modules ``name`` imports (at any depth of the file)."""
    package = name if any(k.startswith(name + ".") for k in known) else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "mlcollage"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "mlcollage":
                continue
            for alias in node.names:  # `from mlcollage.draw import images` imports a module
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m != name}


def group(module: str) -> str:
    return module.split(".")[1] if "." in module else "mlcollage"


def violations(sources: dict[str, str]) -> list[str]:
    """Backward imports (to a step of the same or a later layer) and import cycles."""
    known = set(sources)
    graph = {name: imports(name, src, known) for name, src in sources.items()}
    found = []
    for name, targets in graph.items():
        here = group(name)
        for target in sorted(targets):
            there = group(target)
            if here == "mlcollage" or there == "mlcollage":
                continue  # mlcollage/__init__.py is empty
            if there == here and RANK[here] > 0:
                continue  # within a package
            if RANK[there] >= RANK[here]:
                found.append(f"{name} imports {target}: {here} may not depend on {there}")
    found += [" -> ".join(c) for c in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_module_belongs_to_a_layer() -> None:
    groups = {group(m) for m in module_sources()} - {"mlcollage"}
    assert groups <= set(RANK), groups - set(RANK)


def test_no_backward_import_and_no_cycle() -> None:
    assert violations(module_sources()) == []


def test_the_check_sees_a_backward_import() -> None:
    """`from mlcollage.cli import Options` in the build is what this test exists to refuse."""
    sources = module_sources()
    sources["mlcollage.pipeline"] += "\nfrom mlcollage.cli import Options\n"
    assert violations(sources) == [
        "mlcollage.pipeline imports mlcollage.cli: pipeline may not depend on cli"
    ]
    sources = module_sources()
    sources["mlcollage.draw.step"] += "\ndef f():\n    from mlcollage.render.pages import Renderer\n"
    assert violations(sources)[0].startswith("mlcollage.draw.step imports mlcollage.render.pages")
    sources = module_sources()
    sources["mlcollage.model"] += "\nfrom mlcollage.files import MARKER\n"
    assert violations(sources) == [
        "mlcollage.model imports mlcollage.files: model may not depend on files"
    ]


def test_the_check_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
