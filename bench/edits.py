"""Prose edits one after another: each appends a sentence to one summary, then `mlcollage build`
runs in a fresh process (wall from spawn to exit, CPU of the child), as a user's save + build.

    python3 bench/edits.py --project bench/corpora/n1000/mlcollage --edits 10
    python3 bench/edits.py --project P --edits 10 --against ../old-checkout --against-project Q

``--against``: a second checkout of mlcollage, run on its own copy of the corpus
(``--against-project``: its state in `.mlcollage/` is that code's), edit by edit alternating
with this one, so both see the same machine (a shared one's load moves a run by ±30%). Before
timing, each side builds until a prose edit is quick (after a code change the first build is a
full one). Each timed build must say "a prose edit"; the summary's text is restored at the end.
The same summary the bench's `edit` scenario edits (`corpus.json`) unless ``--file``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
RACY_S = 2.1
"""A file saved within 2 s of a build is compared by content, not stat (`memo.RACY_NS`): wait
it out, as a user between two saves would."""


def build(tree: Path, project: Path) -> tuple[float, float, str]:
    """(wall s, CPU s, last line of stderr) of one `mlcollage build` with ``tree``'s code."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python writes its bytecode
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(PYTHON), "-c", "import sys; from mlcollage.cli import main; sys.exit(main())",
         "build", "-C", str(project)], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"build failed ({done.returncode}): {done.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stderr.strip().splitlines()[-1]


def append(path: Path, n: int) -> None:
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(f"{text} Timed edit {n} {time.time_ns()}.\n", encoding="utf-8")
    time.sleep(RACY_S)


def summary(project: Path, rel: str | None) -> Path:
    if rel:
        return project / rel
    corpus = json.loads((project.parent / "corpus.json").read_text(encoding="utf-8"))
    return project / corpus["edit_files"]["mlcollage"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--file", help="the index.md to edit, relative to the project")
    ap.add_argument("--against", type=Path, help="another checkout, alternating with this one")
    ap.add_argument("--against-project", type=Path, help="its copy of the corpus")
    args = ap.parse_args()
    sides = {"this": (REPO, args.project.resolve())}
    if args.against:
        if not args.against_project:
            ap.error("--against needs --against-project (its own copy of the corpus)")
        sides["against"] = (args.against.resolve(), args.against_project.resolve())
    files = {name: summary(project, args.file) for name, (_, project) in sides.items()}
    kept = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    try:
        for name, (tree, project) in sides.items():  # until a prose edit is quick
            build(tree, project)
            for n in range(3):
                append(files[name], -n)
                if "prose edit" in build(tree, project)[2]:
                    break
            else:
                sys.exit(f"{name}: a prose edit is not quick on {project}")
        for i in range(args.edits):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for name in order:
                tree, project = sides[name]
                append(files[name], i)
                wall, cpu, last = build(tree, project)
                if "prose edit" not in last:
                    sys.exit(f"{name}: edit {i} was not quick: {last}")
                times[name].append((wall, cpu))
                print(f"{name:8s} edit {i:2d}: wall {wall:.3f} s  cpu {cpu:.3f} s", flush=True)
    finally:
        for name, path in files.items():
            path.write_text(kept[name], encoding="utf-8")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end: {load}\n")
    print("| side | code | edits | wall median s | wall min-max s | CPU median s |")
    print("|---|---|---:|---:|---:|---:|")
    for name, rows in times.items():
        walls = [w for w, _ in rows]
        print(f"| {name} | {sides[name][0]} | {len(rows)} | {statistics.median(walls):.3f} | "
              f"{min(walls):.2f}-{max(walls):.2f} | {statistics.median(c for _, c in rows):.3f} |")


if __name__ == "__main__":
    main()
