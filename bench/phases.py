"""A cold build's time per step, in process: wall and CPU (this process and its reaped children).

    .venv/bin/python bench/phases.py bench/corpora/n1000/mlcollage           # the pool (default)
    MLCOLLAGE_POOL_MIN_WORK=inf .venv/bin/python bench/phases.py PROJECT     # serial

Removes PROJECT's .mlcollage/ and _site/ first (a cold build), then builds it with timers
around the pipeline's steps and the pieces of them that run in this process only (indented):
what stays serial when the pool is on. Run it from a neutral folder with PYTHONPATH naming the
tree to measure (bench/README.md, "What stays serial").
"""

from __future__ import annotations

import os
import shutil
import sys
import time

T: list[tuple[str, float, float]] = []


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def wrap(owner: object, name: str, label: str) -> None:
    f = getattr(owner, name)

    def timed(*a, **k):  # noqa: ANN002, ANN003, ANN202
        w, c = time.perf_counter(), cpu()
        try:
            return f(*a, **k)
        finally:
            T.append((label, time.perf_counter() - w, cpu() - c))

    setattr(owner, name, timed)


def main() -> None:
    proj = sys.argv[1]
    for p in (".mlcollage", "_site"):
        shutil.rmtree(os.path.join(proj, p), ignore_errors=True)
    w0, c0 = time.perf_counter(), cpu()
    import mlcollage.draw.step as draw
    import mlcollage.pipeline as pipeline
    import mlcollage.render.links as links
    import mlcollage.render.markdown as markdown
    import mlcollage.render.pages as pages
    import mlcollage.render.pool as pool
    import mlcollage.render.publish as publish
    import mlcollage.state as state

    T.append(("imports (pipeline)", time.perf_counter() - w0, cpu() - c0))
    for name in ("load", "draw_step", "render_step", "publish_step"):
        wrap(pipeline, name, name)
    wrap(markdown.Markup, "convert_all", "convert_all (Markdown)")
    wrap(draw, "_run", "  draw: drawing")
    wrap(pool, "run_tasks", "  pool.run_tasks")
    wrap(pages.Renderer, "sitemap", "  sitemap")
    wrap(publish, "content_hashes", "  content_hashes")
    wrap(links, "broken", "  link check")
    wrap(publish, "publish", "  publish (write, swap)")
    wrap(state.BuildState, "commit", "commit (build state)")
    from mlcollage.cli import main as cli

    w1, c1 = time.perf_counter(), cpu()
    try:
        cli(["build", "-C", proj, "-q"])
    except SystemExit as exc:
        if exc.code:
            raise
    T.append(("build total", time.perf_counter() - w1, cpu() - c1))
    for label, w, c in T:
        print(f"{label:26s} wall {w:6.3f}  cpu {c:6.3f}")
    print("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
