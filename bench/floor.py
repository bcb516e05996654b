"""Per-entry floor of the pieces a Python build cannot avoid, on the benchmark corpus.

    .venv/bin/python bench/floor.py [N]     # after `python3 bench/run.py --n N` made the corpus

Times, in process and without a profiler: reading + YAML-parsing the front matter (C loader),
Markdown with mlcollage's extensions, Markdown with Pygments highlighting replaced by plain
<pre>, and one Jinja2 render of a small paper page.
"""

import sys
import time
from pathlib import Path

import jinja2
import markdown
import yaml

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
root = Path(__file__).resolve().parent / "corpora" / f"n{n}" / "mlcollage"
files = sorted((root / "site_src").glob("*/*/index.md"))


def clock(label, fn, reps=1):
    t0 = time.process_time()
    for _ in range(reps):
        out = fn()
    dt = (time.process_time() - t0) / reps
    print(f"{label:55s} {dt:7.3f} s CPU  {dt / len(files) * 1000:6.3f} ms/entry")
    return out


def read():
    return [f.read_text(encoding="utf-8") for f in files]


texts = clock("read index.md", read)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
docs = clock(f"YAML front matter ({Loader.__name__})",
             lambda: [yaml.load(t.split("---\n", 2)[1], Loader=Loader) for t in texts])
bodies = [t.split("---\n", 2)[2] for t in texts]
for label, ext, cfg in [
    ("Markdown extra+sane_lists (no highlighting)", ["extra", "sane_lists"], {}),
    ("Markdown extra+sane_lists+codehilite (Pygments)", ["extra", "sane_lists", "codehilite"],
     {"codehilite": {"guess_lang": False}}),
]:
    md = markdown.Markdown(extensions=ext, extension_configs=cfg, output_format="html")

    def conv(md=md):
        out = []
        for b in bodies:
            md.reset()
            out.append(md.convert(b))
        return out

    html = clock(label, conv)
env = jinja2.Environment(autoescape=True)
tpl = env.from_string("<html><head><title>{{ d.title }}</title></head><body><h1>{{ d.title }}"
                      "</h1><p>{{ d.authors|join(', ') }}</p><ul>{% for t in d.takeaways %}"
                      "<li>{{ t }}</li>{% endfor %}</ul>{{ h|safe }}</body></html>")
clock("Jinja2 small page", lambda: [tpl.render(d=d, h=h) for d, h in zip(docs, html, strict=True)])
