"""Quick-mode pass rates on seeds no test uses: per claim, and per control (did it break them).

    python bench/seeds.py rahaman-2019-spectral-bias [--seeds 100-119] [--jobs 2]

Thresholds are set from these runs, never from the seeds the tests use (tests use seeds < 100).
Each seed runs in a fresh process forked from a server that preloaded what a build's workers
preload (torch, torch._dynamo), with one torch thread; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _find(slug: str) -> Path:
    hits = sorted(ROOT.glob(f"site_src/*/{slug}/experiment.py"))
    if not hits:
        sys.exit(f"bench/seeds.py: no site_src/*/{slug}/experiment.py")
    return hits[0]


def _one(script: str, seed: int, control: str) -> tuple[int, str, dict[str, bool], float, float]:
    from mlcollage.experiment import (
        check_claims,
        control_config,
        controls_of,
        load_experiment,
        roundtrip,
        run_experiment,
    )

    module = load_experiment(script)
    if control:
        c = next(c for c in controls_of(module) if c.name == control)
        config, mode = control_config(module, c), c.mode
    else:
        config, mode = module.Config.quick(), "quick"
    t0, c0 = time.perf_counter(), time.process_time()
    result = roundtrip(run_experiment(module, config, seed=seed, mode=mode, device="cpu"))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    claims = check_claims(module.claims(result), "claims")
    return seed, control, {c.id: c.holds for c in claims}, wall, cpu


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("slug")
    ap.add_argument("--seeds", default="100-119", type=_seeds)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-controls", action="store_true")
    args = ap.parse_args()
    script = str(_find(args.slug))

    from mlcollage.experiment import controls_of, load_experiment

    controls = [] if args.no_controls else controls_of(load_experiment(script))
    tasks = [(script, s, "") for s in args.seeds]
    tasks += [(script, s, c.name) for c in controls for s in args.seeds]
    runs: list[tuple[int, str, dict[str, bool], float, float]] = []
    from mlcollage.run.engines.local import PRELOAD

    ctx = __import__("multiprocessing").get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)  # as a build's workers: imports are not the run's cost
    with cf.ProcessPoolExecutor(args.jobs, mp_context=ctx, max_tasks_per_child=1) as pool:
        for fut in cf.as_completed([pool.submit(_one, *t) for t in tasks]):
            runs.append(fut.result())
    quick = [r for r in runs if not r[1]]
    n = len(quick)
    ids = list(quick[0][2]) if quick else []
    print(f"## {args.slug}: quick mode, seeds {args.seeds[0]}-{args.seeds[-1]} ({n} seeds)\n")
    print("| claim | holds | seeds where it fails |\n|---|---|---|")
    for i in ids:
        bad = sorted(r[0] for r in quick if not r[2].get(i))
        print(f"| {i} | {n - len(bad)}/{n} | {', '.join(map(str, bad)) or '-'} |")
    walls = sorted(r[3] for r in quick)
    cpus = sorted(r[4] for r in quick)
    if quick:
        print(
            f"\nquick run: wall median {walls[n // 2]:.1f} s, max {walls[-1]:.1f} s; "
            f"CPU median {cpus[n // 2]:.1f} s, max {cpus[-1]:.1f} s"
        )
    for c in controls:
        under = [r for r in runs if r[1] == c.name]
        print(f"\n### control `{c.name}` ({c.mode}): {c.label}\n")
        print("| claim it must break | broken | seeds where it still holds |\n|---|---|---|")
        for i in c.breaks:
            held = sorted(r[0] for r in under if r[2].get(i, False))
            print(
                f"| {i} | {len(under) - len(held)}/{len(under)} | "
                f"{', '.join(map(str, held)) or '-'} |"
            )


if __name__ == "__main__":
    main()
