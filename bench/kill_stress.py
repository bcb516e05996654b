"""Kill builds at random moments and check that nothing is ever half-written (issue 24).

    python bench/kill_stress.py [--kills 50] [--seed 24] [--work DIR]

A project is made from the fixture site (tests/data/site, its toy experiments run in about a
second) with an empty figures/. Each round edits the inputs so that the build re-runs an
experiment (a new config value), redraws a slide (a new takeaway) and re-renders pages, starts
`mlcollage build` in its own session, SIGKILLs the whole session at a random moment of the build,
then checks:

- figures/: every result.json parses and names an arrays file whose bytes match the hash in its
  name and that numpy reads; every slide and card decodes, every PDF is whole (`%%EOF`);
- _site/: exactly the old site or exactly the new one (the next build's, from the same inputs:
  builds are deterministic), never a mix, never missing once a site existed;
- the next build (not killed) exits 0, and leaves no temp file in figures/ nor a leftover
  folder (`.mlcollage/publish/*.tmp-*`, `._site.old-*`).

Prints one line per round and a summary; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ALPHA = "site_src/2020-01/alpha-2019-toy/index.md"


def make_project(dest: Path) -> Path:
    shutil.copytree(REPO / "tests/data/site", dest / "site_src",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", dest / "templates")
    (dest / "figures").mkdir()
    return dest


def edit(project: Path, i: int) -> None:
    """New inputs: alpha's experiment re-runs (n), its slide is redrawn and its page re-rendered."""
    path = project / ALPHA
    text = path.read_text()
    head, _, rest = text.partition("takeaways:")
    head = "\n".join(line for line in head.splitlines() if not line.startswith("experiment:"))
    path.write_text(f"{head}\nexperiment: {{config: {{n: {150 + i}}}}}\ntakeaways:\n"
                    f"  - Least squares recovers the slope (round {i})\n  - More data, less error\n"
                    f"---\nRound {i} of the kill stress.\n")
    del rest


def start(project: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "mlcollage.cli", "build", "-C", str(project), "-j", "2"],
        cwd=project.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)


def kill_session(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    for _ in range(50):  # the session's other processes (fork server, workers) die with it
        if subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True).returncode:
            return
        time.sleep(0.1)


def site_state(site: Path) -> dict[str, str] | None:
    if not site.exists():
        return None
    return {
        p.relative_to(site).as_posix(): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
        for p in sorted(site.rglob("*")) if p.is_file()
    }


def figure_problems(figures: Path) -> list[str]:
    """Every file mlcollage committed in figures/ is whole."""
    import numpy as np
    from PIL import Image

    problems = []
    for result in figures.rglob("result.json"):
        try:
            record = json.loads(result.read_text())
            name = record["arrays"]
            if name:
                data = (result.parent / name).read_bytes()
                if hashlib.sha256(data).hexdigest()[:16] != name[len("arrays-"):-len(".npz")]:
                    problems.append(f"{result.parent / name}: bytes do not match its name")
                with np.load(result.parent / name, allow_pickle=False) as npz:
                    for key in npz.files:
                        npz[key]
        except Exception as exc:  # noqa: BLE001 - any failure to read is a corrupt result
            problems.append(f"{result}: {type(exc).__name__}: {exc}")
    for pattern in ("*.png", "*.webp"):
        for image in figures.rglob(pattern):
            try:
                with Image.open(image) as im:
                    im.load()
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{image}: {type(exc).__name__}: {exc}")
    for pdf in figures.rglob("*.pdf"):
        data = pdf.read_bytes()
        if not (data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]):
            problems.append(f"{pdf}: not a whole PDF")
    for meta in [*figures.rglob("slide.json"), *figures.rglob("digest.json")]:
        try:
            json.loads(meta.read_text())
        except ValueError as exc:
            problems.append(f"{meta}: {exc}")
    return problems


def leftovers(project: Path) -> list[str]:
    out = [str(p) for p in project.glob("._site.old-*")]
    out += [str(p) for p in project.glob("._site-*.tmp-*")]
    out += [str(p) for p in project.glob(".mlcollage/publish/*.tmp-*")]
    out += [str(p) for p in (project / "figures").rglob("*.mlcollage-tmp")]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="mlcollage-kill-"))
    project = make_project(work / "proj")
    site = project / "_site"

    for warm in (-2, -1):  # a cold build, then one round's build unkilled: its length
        edit(project, warm)
        t0 = time.perf_counter()
        first = start(project)
        _, err = first.communicate()
        duration = time.perf_counter() - t0
        if first.returncode != 0:
            print(err.decode()[-3000:])
            return 1
    print(f"a round's build: {duration:.1f} s; each is killed at uniform(0, {duration:.1f}) s")
    old = site_state(site)
    counts = {"kills": 0, "corrupt": 0, "half_sites": 0, "next_failed": 0, "leftovers": 0,
              "old": 0, "new": 0, "finished_before_kill": 0}
    for i in range(args.kills):
        edit(project, i)
        delay = rng.uniform(0, duration)
        proc = start(project)
        time.sleep(delay)
        finished = proc.poll() is not None
        kill_session(proc)
        counts["kills"] += 1
        counts["finished_before_kill"] += finished
        killed = site_state(site)
        bad = figure_problems(project / "figures")
        nxt = start(project)
        _, err = nxt.communicate()
        new = site_state(site)
        ok_next = nxt.returncode == 0
        which = "old" if killed == old else "new" if killed == new else "HALF"
        if old is not None and killed is None:
            which = "HALF"  # a site existed and is gone
        counts["corrupt"] += len(bad)
        counts["half_sites"] += which == "HALF"
        counts["next_failed"] += not ok_next
        left = leftovers(project)
        counts["leftovers"] += len(left)
        if which in ("old", "new"):
            counts[which] += 1
        print(f"[{i + 1:2d}] kill at {delay:5.2f} s: site {which}, {len(bad)} corrupt, "
              f"next build exit {nxt.returncode}, {len(left)} leftovers", flush=True)
        for line in bad + left:
            print(f"     {line}")
        if not ok_next:
            print(err.decode()[-2000:])
        old = new
    print(json.dumps(counts))
    failed = any(counts[k] for k in ("corrupt", "half_sites", "next_failed", "leftovers"))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
