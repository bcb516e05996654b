# ruff: noqa: E501  (the Hugo layouts are HTML templates, one element a line)
"""Deterministic synthetic corpus for the build benchmark (issue 11).

    python bench/corpus.py generate N [--out bench/corpora/nN]   # all layouts, stdlib only
    python bench/corpus.py generate N --languages en,zh-CN --out DIR  # + index.zh-CN.md files
    .venv/bin/python bench/corpus.py freeze DIR                   # freeze mlcollage's slides

`generate` writes N paper entries (4 per month, up to 2021-10 at the latest, ~400-word Markdown summaries with headings,
lists, links, inline code and a fenced code block, one slide image each) and lays the *same*
entries out for five tools under DIR:

    mlcollage/        site_src/ (site.yaml, YYYY-MM/index.md, YYYY-MM/<slug>/index.md),
                      templates/ (a copy of the repo's), figures/ (filled by `freeze`)
    pelican/          pelicanconf.py, content/YYYY-MM/<slug>.md (+ <slug>.png), pages/ for months
    mkdocs/           mkdocs.yml (default theme), docs/
    mkdocs-material/  mkdocs.yml (theme: material), docs/ (same files as mkdocs/)
    hugo/             hugo.toml, layouts/ (minimal templates), content/YYYY-MM/<slug>/ bundles

and DIR/corpus.json: N, the months, and for the edit benchmark the one summary file per tool.

The slide image is the repo's committed slide of Rahaman et al. 2019 (figures/2021-02/...),
hard-linked into every entry, so every tool publishes one real ~350 KB PNG per entry.

`freeze` makes mlcollage's `figures/` current *without drawing*: it runs one real build in
process with the draw step patched to hard-link the template slide files (slide.png,
slide.pdf, card.png, thumb-*.webp) and write the `slide.json` key that the real code computed,
and with the digest PDF replaced by the repo's committed one. After it, `mlcollage build`
finds every slide current and draws nothing (bench/run.py checks that figures/ is unchanged by
each timed build). Re-run `freeze` whenever mlcollage's slide key changes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_SLIDE_DIR = REPO / "figures" / "2021-02" / "rahaman-2019-spectral-bias"
TEMPLATE_DIGEST_PDF = REPO / "figures" / "2021-02" / "digest.pdf"
SLIDE_FILES = ("slide.png", "slide.pdf", "card.png", "thumb-480.webp", "thumb-960.webp")
TOOLS = ("mlcollage", "pelican", "mkdocs", "mkdocs-material", "hugo")
PER_MONTH = 4
FIRST_MONTH = (2001, 1)
"""Where a corpus of up to 1000 entries starts (250 months: 2001-01 to 2021-10, as it always did)."""
LAST_MONTH = (2021, 10)
"""No corpus runs past this month: a larger one starts earlier (N=5000 in 1917-09, N=10000 in
1813-07), four entries a month all along, so every digest is in the past and the growth from
1000 to 10000 entries adds entries of one kind (bench/README.md, "Corpora")."""
MIN_PAPER_YEAR = 1900  # the schema's lower bound for a paper's `year`
EDIT_MARK = "Why it matters"  # the last section: its paragraph is what the edit benchmark changes

# ---------------------------------------------------------------------------------------------
# text

WORDS = (
    "network gradient loss model training data layer attention representation latent "
    "variational prior posterior sample estimator variance bias spectrum frequency kernel "
    "optimiser learning rate batch schedule convergence generalisation memorisation noise "
    "robustness adversarial perturbation transformer convolution recurrent embedding token "
    "sequence image pixel feature channel depth width parameter weight initialisation "
    "regularisation dropout normalisation residual encoder decoder objective likelihood "
    "entropy divergence benchmark baseline ablation experiment result evidence claim "
    "hypothesis theory bound scaling compute memory activation inference distribution "
    "uncertainty calibration ensemble curriculum reward policy agent environment"
).split()
FILLER = "the a of in on with for and that this which its their by from to as".split()
SURNAMES = (
    "Smith Chen Garcia Müller Rossi Kim Nakamura Okafor Silva Novak Dubois Ivanova Haddad "
    "Larsen Kowalski Tanaka Ahmed Petrov Moreau Jensen Costa Weber Hughes Patel Olsen"
).split()
GIVEN = "Ada Ben Cora Dan Eva Farid Gita Hugo Iris Jun Kai Lena Milo Nia Omar Pia Quinn Rui".split()
VENUES = ("NeurIPS", "ICML", "ICLR", "CVPR", "ACL", "AISTATS", "UAI", "COLT", "JMLR", "TMLR")
TAGS = tuple(
    "theory optimisation generative vision language rl probabilistic robustness fairness "
    "scaling efficiency graphs kernels attention bayesian meta-learning audio fourier "
    "neuroscience causality".split()
)


class Text:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def words(self, n: int) -> list[str]:
        r = self.rng
        return [r.choice(FILLER) if r.random() < 0.35 else r.choice(WORDS) for _ in range(n)]

    def sentence(self, n: int | None = None) -> str:
        w = self.words(n or self.rng.randint(8, 18))
        return " ".join(w).capitalize() + "."

    def paragraph(self, n_words: int, decorate: bool = True) -> str:
        out, count = [], 0
        while count < n_words:
            k = min(self.rng.randint(8, 18), max(4, n_words - count))
            s = self.sentence(k)
            count += k
            out.append(s)
        if decorate and len(out) >= 3:
            r = self.rng
            w = out[0].split()
            i = r.randrange(1, len(w) - 1)
            w[i] = f"**{w[i].rstrip('.')}**"
            out[0] = " ".join(w)
            w = out[1].split()
            i = r.randrange(1, len(w) - 1)
            w[i] = f"[{w[i].rstrip('.')}](https://example.org/ref/{r.randrange(10**6)})"
            out[1] = " ".join(w)
            w = out[2].split()
            i = r.randrange(1, len(w) - 1)
            w[i] = f"`{w[i].rstrip('.')}()`"
            out[2] = " ".join(w)
        return " ".join(out)

    def title(self) -> str:
        return " ".join(w.capitalize() for w in self.words(self.rng.randint(4, 9)))


def summary(t: Text) -> str:
    """~400 words: two headings, a bullet list, a numbered list, links, inline code, a code block."""
    r = t.rng
    bullets = "\n".join(f"- {t.sentence(r.randint(6, 12))}" for _ in range(3))
    numbered = "\n".join(f"{i}. {t.sentence(r.randint(6, 12))}" for i in range(1, 4))
    code = "\n".join(
        [
            "```python",
            "def step(model, batch, lr=%.0e):" % (10 ** -r.randint(2, 5)),
            "    loss = model.loss(batch)",
            "    loss.backward()",
            f"    return loss.item() * {r.randint(2, 64)}",
            "```",
        ]
    )
    return "\n\n".join(
        [
            t.paragraph(90),
            "## Method",
            t.paragraph(80),
            bullets,
            "## Results",
            t.paragraph(80),
            numbered,
            code,
            f"## {EDIT_MARK}",
            t.paragraph(60),
        ]
    ) + "\n"


def first_month(n: int) -> int:
    """The corpus's first month as a month count (year * 12 + month - 1)."""
    last = LAST_MONTH[0] * 12 + LAST_MONTH[1] - 1
    months = -(-n // PER_MONTH)
    return min(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1, last - months + 1)


def make_entries(n: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    t = Text(rng)
    months = []
    entries = []
    start = first_month(n)
    for i in range(n):
        m = start + i // PER_MONTH
        year, month = m // 12, m % 12 + 1
        ym = f"{year:04d}-{month:02d}"
        if not months or months[-1]["month"] != ym:
            months.append(
                {
                    "month": ym,
                    "title": f"Papers of {ym}: four to read",
                    "date": f"{year:04d}-{month:02d}-28",
                    "description": t.sentence(14),
                    "intro": t.paragraph(90) + "\n\n" + t.paragraph(60),
                    "outro": t.paragraph(40),
                    "papers": [],
                }
            )
        surname = rng.choice(SURNAMES)
        pyear = max(MIN_PAPER_YEAR, year - rng.randint(0, 1))  # digests before 1901: N > 5,400
        title = t.title()
        slug = f"{surname.lower().replace('ü', 'u')}-{pyear}-{i:05d}-{title.split()[0].lower()}"
        entry = {
            "i": i,
            "month": ym,
            "slug": slug,
            "title": title,
            "authors": [
                f"{rng.choice(GIVEN)} {surname if k == 0 else rng.choice(SURNAMES)}"
                for k in range(rng.randint(1, 6))
            ],
            "year": pyear,
            "venue": rng.choice(VENUES),
            "arxiv": f"{pyear % 100:02d}{month:02d}.{rng.randrange(10000):05d}",
            "links": {
                "paper": f"https://example.org/abs/{i}",
                "code": f"https://example.org/code/{i}",
            },
            "tags": sorted(rng.sample(TAGS, rng.randint(2, 3))),
            "takeaways": [t.sentence(rng.randint(5, 9)).rstrip(".") for _ in range(rng.randint(2, 3))],
            "summary": summary(t),
            "date": months[-1]["date"],
        }
        months[-1]["papers"].append(slug)
        entries.append(entry)
    return entries, months


# ---------------------------------------------------------------------------------------------
# layouts


def q(s: str) -> str:
    """A YAML (and TOML) double-quoted string."""
    return json.dumps(s, ensure_ascii=False)


def yaml_list(xs: list[str]) -> str:
    return "[" + ", ".join(q(x) for x in xs) + "]"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


LINKS_PER_COPY = 2000
"""Hard links to one copy of a slide file: a file system allows ~65,000 links to one inode
(ext4), and N=10000 links each file into figures/, _site/, its standby and every tool's tree."""
COPIES: Path | None = None
"""Where `link_image` keeps the copies it links to (set by `generate` and `freeze`); None:
link to the repo's files themselves."""
_copies: dict[str, tuple[Path, int]] = {}
_made = itertools.count()


def link_image(dst: Path, name: str = "slide.png") -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    src = _source(name)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _source(name: str) -> Path:
    """The copy of the template slide file to link to, a new one every `LINKS_PER_COPY` links."""
    if COPIES is None:
        return TEMPLATE_SLIDE_DIR / name
    path, used = _copies.get(name, (Path(), LINKS_PER_COPY))
    if used >= LINKS_PER_COPY:
        COPIES.mkdir(parents=True, exist_ok=True)
        path = COPIES / f"{os.getpid()}-{next(_made)}-{name}"
        path.unlink(missing_ok=True)
        shutil.copyfile(TEMPLATE_SLIDE_DIR / name, path)
        used = 0
    _copies[name] = (path, used + 1)
    return path


def paper_yaml(e: dict, extra: str = "") -> str:
    take = "\n".join(f"  - {q(x)}" for x in e["takeaways"])
    return (
        "---\n"
        f"title: {q(e['title'])}\n"
        f"authors: {yaml_list(e['authors'])}\n"
        f"year: {e['year']}\n"
        f"venue: {q(e['venue'])}\n"
        f"arxiv: {q(e['arxiv'])}\n"
        f"links: {{paper: {q(e['links']['paper'])}, code: {q(e['links']['code'])}}}\n"
        f"tags: {yaml_list(e['tags'])}\n"
        f"takeaways:\n{take}\n"
        f"{extra}"
        "---\n"
    )


ZH_WORDS = (
    "网络 梯度 损失 模型 训练 数据 注意力 表示 隐变量 先验 后验 采样 估计量 方差 偏差 频谱 频率 "
    "核函数 优化器 学习率 批量 收敛 泛化 记忆 噪声 稳健性 扰动 卷积 循环 嵌入 序列 图像 特征 通道 "
    "深度 宽度 参数 权重 初始化 正则化 归一化 残差 编码器 解码器 目标 似然 熵 散度 基线 实验 结果 证据"
).split()


def zh_text(rng: random.Random, n_sentences: int) -> str:
    """Chinese-looking prose: sentences of words from ZH_WORDS, no spaces, CJK punctuation."""
    out = []
    for _ in range(n_sentences):
        words = [rng.choice(ZH_WORDS) for _ in range(rng.randint(8, 16))]
        cut = len(words) // 2
        out.append("".join(words[:cut]) + "，" + "".join(words[cut:]) + "。")
    return "".join(out)


def layout_translations(src: Path, entries: list[dict], months: list[dict], lang: str) -> None:
    """`index.<lang>.md` beside every month's and paper's index.md (a translated title,
    takeaways and a summary of about the English one's length)."""
    rng = random.Random(23)
    for m in months:
        write(src / m["month"] / f"index.{lang}.md",
              f"---\ntitle: {m['month']} 月刊\ndescription: {zh_text(rng, 1)}\n---\n"
              f"{zh_text(rng, 4)}\n\n<!-- papers -->\n\n{zh_text(rng, 2)}\n")
    for e in entries:
        paragraphs = "\n\n".join(zh_text(rng, 5) for _ in range(4))
        write(src / e["month"] / e["slug"] / f"index.{lang}.md",
              f"---\ntitle: {zh_text(rng, 1)[:20]}\ntakeaways:\n"
              f"  - {zh_text(rng, 1)[:18]}\n  - {zh_text(rng, 1)[:18]}\n---\n"
              f"## 摘要\n\n{paragraphs}\n")


def layout_mlcollage(root: Path, entries: list[dict], months: list[dict],
                     languages: tuple[str, ...] = ()) -> dict[str, str]:
    src = root / "site_src"
    langs = f"languages: [{', '.join(languages)}]\n" if len(languages) > 1 else ""
    write(
        src / "site.yaml",
        "title: Bench Digest\nauthor: Bench\ndescription: A synthetic benchmark corpus.\n"
        "base_url: https://example.org/bench/\nlanguage: en\nseries: Bench\n" + langs,
    )
    for lang in languages[1:]:
        layout_translations(src, entries, months, lang)
    for m in months:
        write(
            src / m["month"] / "index.md",
            "---\n"
            f"title: {q(m['title'])}\ndate: {m['date']}\n"
            f"description: {q(m['description'])}\npapers: {yaml_list(m['papers'])}\n---\n"
            f"{m['intro']}\n\n<!-- papers -->\n\n{m['outro']}\n",
        )
    edits = {}
    for e in entries:
        path = src / e["month"] / e["slug"] / "index.md"
        write(path, paper_yaml(e) + e["summary"])
        edits[e["slug"]] = str(path.relative_to(root))
    if (root / "templates").exists():
        shutil.rmtree(root / "templates")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "figures").mkdir(exist_ok=True)
    return edits


PELICANCONF = """\
# Pelican settings for the benchmark corpus: defaults (theme notmyidea, Pygments code
# highlighting, Atom feeds, tag and category pages) plus Pelican's own content cache so that
# its no-op rebuild is as fast as Pelican can make it.
AUTHOR = "Bench"
SITENAME = "Bench Digest"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
STATIC_PATHS = ["images"]
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
ARTICLE_URL = ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
PAGE_URL = PAGE_SAVE_AS = "{slug}/index.html"
FEED_ALL_ATOM = "feeds/all.atom.xml"
DEFAULT_PAGINATION = 10
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
DELETE_OUTPUT_DIRECTORY = False
"""


def layout_pelican(root: Path, entries: list[dict], months: list[dict]) -> dict[str, str]:
    write(root / "pelicanconf.py", PELICANCONF)
    c = root / "content"
    for m in months:
        write(
            c / "pages" / f"{m['month']}.md",
            f"Title: {m['title']}\nDate: {m['date']}\nSlug: digest-{m['month']}\n"
            f"Summary: {m['description']}\n\n{m['intro']}\n\n"
            + "\n".join(f"- [{s}]({{filename}}/articles/{m['month']}/{s}.md)" for s in m["papers"])
            + f"\n\n{m['outro']}\n",
        )
    edits = {}
    for e in entries:
        path = c / "articles" / e["month"] / f"{e['slug']}.md"
        meta = (
            f"Title: {e['title']}\nDate: {e['date']}\nCategory: {e['month']}\n"
            f"Tags: {', '.join(e['tags'])}\nAuthors: {'; '.join(e['authors'])}\n"
            f"Slug: {e['slug']}\nSummary: {e['takeaways'][0]}\n\n"
        )
        head = (
            f"*{e['venue']} {e['year']}* · [paper]({e['links']['paper']}) · "
            f"[code]({e['links']['code']})\n\n"
            f"![Slide for {e['title']}]({{static}}/images/{e['slug']}.png)\n\n"
            + "\n".join(f"- {x}" for x in e["takeaways"])
            + "\n\n"
        )
        write(path, meta + head + e["summary"])
        link_image(c / "images" / f"{e['slug']}.png")
        edits[e["slug"]] = str(path.relative_to(root))
    return edits


def layout_mkdocs(root: Path, entries: list[dict], months: list[dict], material: bool) -> dict:
    theme = "theme:\n  name: material\n" if material else ""
    write(
        root / "mkdocs.yml",
        "site_name: Bench Digest\nsite_url: https://example.org/bench/\n"
        f"{theme}markdown_extensions: [tables, fenced_code, toc]\n",
    )
    d = root / "docs"
    by_slug = {e["slug"]: e for e in entries}
    write(
        d / "index.md",
        "# Bench Digest\n\n"
        + "\n".join(f"- [{m['title']}]({m['month']}/index.md)" for m in months)
        + "\n",
    )
    for m in months:
        items = "\n".join(
            f"- [{by_slug[s]['title']}]({s}/index.md) — {by_slug[s]['takeaways'][0]}"
            for s in m["papers"]
        )
        write(
            d / m["month"] / "index.md",
            f"# {m['title']}\n\n{m['intro']}\n\n{items}\n\n{m['outro']}\n",
        )
    edits = {}
    for e in entries:
        path = d / e["month"] / e["slug"] / "index.md"
        head = (
            f"# {e['title']}\n\n{', '.join(e['authors'])} · *{e['venue']} {e['year']}* · "
            f"[paper]({e['links']['paper']}) · [code]({e['links']['code']}) · "
            f"tags: {', '.join(e['tags'])}\n\n![Slide for {e['title']}](slide.png)\n\n"
            + "\n".join(f"- {x}" for x in e["takeaways"])
            + "\n\n"
        )
        write(path, head + e["summary"])
        link_image(path.parent / "slide.png")
        edits[e["slug"]] = str(path.relative_to(root))
    return edits


HUGO_CONFIG = """\
baseURL = "https://example.org/bench/"
title = "Bench Digest"
languageCode = "en"
disableKinds = []
[taxonomies]
  tag = "tags"
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<meta name="description" content="{{ with .Description }}{{ . }}{{ else }}{{ .Summary | plainify | truncate 200 }}{{ end }}">
<link rel="stylesheet" href="{{ "assets/style.css" | relURL }}"></head>
<body><header><a href="{{ "" | relURL }}">{{ .Site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article>
<p><a href="{{ .Parent.RelPermalink }}">{{ .Parent.Title }}</a></p>
<h1>{{ .Title }}</h1>
<p>{{ delimit .Params.authors ", " }} · {{ .Params.venue }} {{ .Params.year }}
{{ range $k, $v := .Params.links }} · <a href="{{ $v }}">{{ $k }}</a>{{ end }}</p>
{{ with .Resources.GetMatch "slide.png" }}<img src="{{ .RelPermalink }}" width="1920" height="1080" alt="Slide">{{ end }}
<ul>{{ range .Params.takeaways }}<li>{{ . }}</li>{{ end }}</ul>
<div class="prose">{{ .Content }}</div>
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<div class="prose">{{ .Content }}</div>
{{ range .Pages }}<section><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ delimit .Params.authors ", " }} · {{ .Params.venue }} {{ .Params.year }}</p>
{{ with .Resources.GetMatch "slide.png" }}<img src="{{ .RelPermalink }}" loading="lazy" alt="Slide">{{ end }}
<ul>{{ range .Params.takeaways }}<li>{{ . }}</li>{{ end }}</ul>
<div class="prose">{{ .Content }}</div></section>{{ end }}
{{ with .Params.outro }}<div class="prose outro">{{ . | markdownify }}</div>{{ end }}
</article>{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}
</ul>{{ end }}
""",
    "_default/taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> — {{ .Summary | plainify | truncate 200 }}</li>{{ end }}
</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ .Site.Title }}</h1>
{{ range .Sections }}<section><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> — {{ .Summary | plainify | truncate 200 }}</li>{{ end }}
</ul></section>{{ end }}{{ end }}
""",
}


def layout_hugo(root: Path, entries: list[dict], months: list[dict]) -> dict[str, str]:
    write(root / "hugo.toml", HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        write(root / "layouts" / name, text)
    write(root / "static" / "assets" / "style.css", (REPO / "templates/assets/style.css").read_text())
    c = root / "content"
    for m in months:
        write(
            c / m["month"] / "_index.md",
            f"---\ntitle: {q(m['title'])}\ndate: {m['date']}\n"
            f"description: {q(m['description'])}\noutro: {q(m['outro'])}\n---\n{m['intro']}\n",
        )
    edits = {}
    for e in entries:
        path = c / e["month"] / e["slug"] / "index.md"
        write(path, paper_yaml(e, f"date: {e['date']}\nweight: {e['i'] % PER_MONTH + 1}\n") + e["summary"])
        link_image(path.parent / "slide.png")
        edits[e["slug"]] = str(path.relative_to(root))
    return edits


def generate(n: int, out: Path, languages: tuple[str, ...] = (),
             tools: tuple[str, ...] = TOOLS) -> dict:
    global COPIES
    entries, months = make_entries(n)
    out.mkdir(parents=True, exist_ok=True)
    if (out / ".slides").exists():
        shutil.rmtree(out / ".slides")
    COPIES = out / ".slides"
    edits = {}
    for tool in tools:
        d = out / tool
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        if tool == "mlcollage":
            edits[tool] = layout_mlcollage(d, entries, months, languages)
        elif tool == "pelican":
            edits[tool] = layout_pelican(d, entries, months)
        elif tool.startswith("mkdocs"):
            edits[tool] = layout_mkdocs(d, entries, months, material=tool == "mkdocs-material")
        else:
            edits[tool] = layout_hugo(d, entries, months)
    # the edited entry: the middle one (not first or last of anything)
    target = entries[len(entries) // 2 + 1]["slug"]
    manifest = {
        "n": n,
        "months": len(months),
        "words_per_summary": round(sum(len(e["summary"].split()) for e in entries) / n),
        "edit_slug": target,
        "first_month": months[0]["month"],
        "last_month": months[-1]["month"],
        "tools": list(tools),
        "edit_files": {tool: edits[tool][target] for tool in tools},
        "edit_mark": EDIT_MARK,
    }
    (out / "corpus.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


# ---------------------------------------------------------------------------------------------
# freezing mlcollage's slides without drawing


def use_source(src: Path) -> None:
    """Import mlcollage from `src` (a checkout or `git archive` export), not the editable install."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in repr(h).lower()]
    sys.path_importer_cache.clear()
    sys.path[:] = [str(src)] + [p for p in sys.path if p not in ("", str(REPO))]


def freeze(project: Path, src: Path = REPO) -> int:
    """Build once with drawing replaced by hard links; return the number of slides frozen."""
    global COPIES
    COPIES = project.parent / ".slides"
    use_source(src)
    from mlcollage import cli, pipeline

    try:
        from mlcollage import options
        from mlcollage.draw import images
        from mlcollage.draw import step as slides
    except ImportError:  # a revision before the package-per-step layout (bench --rev)
        from mlcollage import images, slides
        options = cli

    assert Path(cli.__file__).resolve().is_relative_to(src.resolve()), cli.__file__

    frozen = []

    def fake_run(jobs, n_jobs):  # replaces slides._run: no matplotlib, no Pillow
        for job in jobs:
            folder = Path(job.folder)
            folder.mkdir(parents=True, exist_ok=True)
            for name in SLIDE_FILES:
                link_image(folder / name, name)
            (folder / slides.KEY_FILE).write_text(json.dumps({"key": job.key}) + "\n")
            frozen.append(job.folder)
        return []

    pdf = TEMPLATE_DIGEST_PDF.read_bytes()
    slides._run = fake_run
    images.slides_pdf = lambda pngs, title, date: pdf  # revisions before draw/digest.py
    try:
        from mlcollage.draw import digest

        digest.digest_pdf = lambda *args: pdf
    except ImportError:
        pass
    opts = options.Options(project=project, out=project / "_site")
    pipeline.build_site(opts)
    return len(frozen)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write the corpus for all tools")
    g.add_argument("n", type=int)
    g.add_argument("--out", type=Path)
    g.add_argument("--languages", default="", help="mlcollage only: e.g. en,zh-CN (default first)")
    g.add_argument("--tools", nargs="*", default=list(TOOLS), choices=TOOLS,
                   help="lay the corpus out for these tools only (default: all)")
    f = sub.add_parser("freeze", help="freeze mlcollage's slides in DIR (a project) without drawing")
    f.add_argument("project", type=Path)
    f.add_argument("--src", type=Path, default=REPO, help="mlcollage source tree to use")
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        out = a.out or Path(__file__).parent / "corpora" / f"n{a.n}"
        langs = tuple(x.strip() for x in a.languages.split(",") if x.strip())
        print(json.dumps(generate(a.n, out, langs, tuple(a.tools)), indent=1))
    else:
        print(f"froze {freeze(a.project.resolve(), a.src.resolve())} slides in {a.project}/figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
