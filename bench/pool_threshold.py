"""Where the render pool starts to pay (`mlcollage.render.pool.MIN_WORK`).

    .venv/bin/python bench/pool_threshold.py bench/corpora/n1000/mlcollage

K Markdown texts converted serially, then over two processes (`pool.run_tasks`), in a process
that holds the loaded corpus (a real heap to fork); the minimum of 5 alternating runs of each,
CPU including the children; `est_s` is the estimate `pool.workers` compares with MIN_WORK.
"""

import os
import resource
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlcollage.content.load import load  # noqa: E402
from mlcollage.options import Options  # noqa: E402
from mlcollage.render import pool  # noqa: E402
from mlcollage.render.markdown import SECONDS_PER_CHAR, Markup  # noqa: E402
from mlcollage.render.pages import markdown_texts  # noqa: E402
from mlcollage.state.memo import Memo  # noqa: E402

project = Path(sys.argv[1])
opts = Options(project=project, out=project / "_site")
site = load(opts, Memo(None))
texts = list(dict.fromkeys(markdown_texts(site)))
md = Markup()
md(texts[0])


def cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


print(f"K  est_s  serial_wall serial_cpu  pool_wall pool_cpu   (load {os.getloadavg()[0]:.2f})")
for k in (2, 10, 25, 50, 100, 200, 400):
    sub = texts[:k]
    est = sum(SECONDS_PER_CHAR * len(t) for t in sub)
    best = {"s": (9e9, 9e9), "p": (9e9, 9e9)}
    for _ in range(5):
        for mode in ("s", "p"):
            c0, t0 = cpu(), time.perf_counter()
            if mode == "s":
                [md._convert(t) for t in sub]
            else:
                pool.run_tasks([partial(md._convert, t) for t in sub], [1.0] * k, 2)
            w, c = time.perf_counter() - t0, cpu() - c0
            best[mode] = (min(best[mode][0], w), min(best[mode][1], c))
    (sw, sc), (pw, pc) = best["s"], best["p"]
    print(f"{k:4d} {est:6.3f}  {sw:8.3f} {sc:8.3f}   {pw:8.3f} {pc:8.3f}")
