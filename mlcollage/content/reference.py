"""The reference of every input field, generated from the schema: docs/reference.md and a JSON
Schema per file kind (docs/schema/), which editors use to complete and check YAML.

`schema.py` says what each field must be (the check and the expected text); this module adds
what a reader needs besides: the JSON type, the default, an example and one line of meaning.
`tests/test_reference.py` fails when a field has no entry here, or when the committed files
differ from `python scripts/reference_docs.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mlcollage.content.cluster import RESOURCE_FIELDS
from mlcollage.content.schema import (
    DIGEST_FIELDS,
    EXPERIMENT_FIELDS,
    FIGURE_FIELDS,
    PAPER_FIELDS,
    SITE_FIELDS,
    TRANSLATED_DIGEST_FIELDS,
    TRANSLATED_FIGURE_FIELDS,
    TRANSLATED_PAPER_FIELDS,
    Spec,
)


@dataclass(frozen=True)
class Doc:
    json_type: str | list[str]
    """JSON Schema type(s)."""
    default: Any
    """What an absent field means ('' where it is required)."""
    example: Any
    meaning: str


RESOURCES = {
    "gpus": Doc("integer", "none", 1, "GPUs per job."),
    "time": Doc("string", "the cluster's default", "30m", "Wall-time limit per job."),
    "mem": Doc("string", "the cluster's default", "8G", "Memory per job."),
    "partition": Doc("string", "the cluster's default", "gpu", "Slurm partition."),
    "cpus": Doc("integer", "1", 4, "CPUs per job."),
}
DOCS: dict[str, dict[str, Doc]] = {
    "site.yaml": {
        "title": Doc("string", "", "ML Collage", "The site's name: every page's header, the feed."),
        "author": Doc("string", "", "Ada Lovelace", "The author: footer, feed, citations."),
        "description": Doc("string", "", "Four papers a month, one slide each.",
                            "Home page, meta description and feed subtitle."),
        "base_url": Doc("string", "", "https://user.github.io/digest/",
                        "Where the site is published (feed, sitemap, social cards); "
                        "`--base-url` overrides it."),
        "language": Doc("string", "en", "en",
                        "The default language: the pages' `lang` attribute, the tree at `/`."),
        "languages": Doc("array", "the default only", ["en", "zh-CN"],
                         "Every language of the site, the default first; each other one gets "
                         "its own tree at `/<lang>/` from `index.<lang>.md` files."),
        "translations": Doc("object", "{}", {"zh-CN": {"title": "ML Collage 论文拼贴"}},
                            "site.yaml's title, description or author in another language."),
        "series": Doc("string", "ML-Collage", "ML-Collage",
                      "The slide header's series name, as in `ML-Collage [3]`."),
        "search": Doc("boolean", "true", False, "Write the search index and show the search box."),
        "resources": Doc("object", "{}", {"partition": "gpu", "time": "30m"},
                         "Default Slurm resources of every experiment (`--executor slurm`)."),
    },
    "month index.md": {
        "title": Doc("string", "", "February 2021: four papers", "The digest's title."),
        "date": Doc("string", "", "2021-02-28",
                    "Publication date; a digest dated in the future is left out until then "
                    "(`--future` shows it)."),
        "description": Doc("string", "the intro's first sentence", "Four papers on ...",
                           "Meta description and feed summary."),
        "draft": Doc("boolean", "false", True, "Left out of builds (`--drafts`; serve shows it)."),
        "papers": Doc("array", "folder names, alphabetically", ["rahaman-2019-spectral-bias"],
                      "The papers' order; folders not listed follow, alphabetically."),
    },
    "paper index.md": {
        "title": Doc("string", "", "On the Spectral Bias of Neural Networks", "The paper's title."),
        "authors": Doc("array", "", ["Nasim Rahaman", "Aristide Baratin"], "In the paper's order."),
        "year": Doc("integer", "", 2019, "Publication year."),
        "venue": Doc("string", "none", "ICML", "Conference or journal, as the slide shows it."),
        "links": Doc("object", "{}", {"paper": "https://arxiv.org/abs/1806.08734"},
                     "Name -> URL (paper, code, talk, doi, ...): the slide and page show them."),
        "tags": Doc("array", "[]", ["theory", "fourier"], "Each tag has a page."),
        "takeaways": Doc("array", "[]", ["ReLU nets fit low frequencies first"],
                         "1-4 short lines on the slide."),
        "arxiv": Doc("string", "none", "1806.08734", "The arXiv id (quote it in YAML)."),
        "draft": Doc("boolean", "false", True, "Left out of builds (`--drafts`)."),
        "number": Doc("integer", "its place in the year", 5,
                      "k of the slide's `SERIES [k]`, when the series numbers it otherwise."),
        "slug": Doc("string", "the folder's name", "rahaman-2019-spectral-bias",
                    "The paper's URL segment."),
        "experiment": Doc("object", "{}", {"config": {"steps": 300}, "seeds": [0, 1, 2]},
                          "How `experiment.py` beside it runs (the fields below)."),
        "figure": Doc("object", "none", {"file": "figure1.png",
                                         "credit": "Figure 1 of Rahaman et al. 2019, CC BY 4.0",
                                         "alt": "The network's spectrum over training"},
                      "The paper's own figure, the slide's first panel (the fields below)."),
    },
    "paper index.md: experiment": {
        "config": Doc("object", "{}", {"n_iters": 4000},
                      "Overrides of the experiment's `Config` defaults (each name checked)."),
        "seeds": Doc("array", "[0, 1, 2]", [0, 1, 2],
                     "Seeds of a full build (quick mode runs the first); a claim holds only "
                     "if it holds on every seed."),
        "timeout": Doc("number", "--timeout (600)", 1800, "Seconds per run."),
        "gpu": Doc("boolean", "false", True, "Run on CUDA (fails where there is none)."),
        "memory": Doc("string", "no limit", "2G", "The most a local run may allocate on top of "
                      "its worker; past it the run fails with a clear message."),
        "resources": Doc("object", "site.yaml's resources", {"gpus": 1, "mem": "16G"},
                         "Slurm resources of this experiment's jobs."),
    },
    "paper index.md: figure": {
        "file": Doc("string", "", "figure1.png", "The image, in the paper's folder; published "
                    "beside the page."),
        "credit": Doc("string", "", "Figure 1 of Rahaman et al. 2019, CC BY 4.0",
                      "Shown under the image on the slide and the page: whose figure, its "
                      "licence."),
        "alt": Doc("string", "", "The network's spectrum over training: low frequencies first",
                   "The image's alt text on the page (and in the slide's)."),
        "title": Doc("string", "The paper's figure (in the page's language)", "Fig. 1 of the paper",
                     "The panel's title on the slide."),
    },
    "resources (site.yaml and experiment)": RESOURCES,
    "month index.<lang>.md": {
        "title": Doc("string", "the default language's", "2021 年 2 月", "The digest's title."),
        "description": Doc("string", "the default language's", "本月四篇论文。",
                           "The digest's description."),
    },
    "paper index.<lang>.md": {
        "title": Doc("string", "the default language's", "论神经网络的谱偏差",
                     "The paper's title in this language (citations keep the original)."),
        "takeaways": Doc("array", "the default language's", ["ReLU 网络先拟合低频"],
                         "The slide's takeaways in this language."),
        "venue": Doc("string", "the default language's", "ICML", "The venue as written here."),
        "figure": Doc("object", "the default language's", {"alt": "网络频谱随训练的变化"},
                      "The figure's texts in this language (the fields below); the image is "
                      "index.md's."),
    },
    "paper index.<lang>.md: figure": {
        "alt": Doc("string", "the default language's", "网络频谱随训练的变化",
                   "The image's alt text in this language."),
        "title": Doc("string", "the default language's", "论文原图",
                     "The panel's title in this language."),
        "credit": Doc("string", "the default language's", "Rahaman 等 2019 年论文图 1，CC BY 4.0",
                      "The credit line in this language."),
    },
}
SPECS: dict[str, Spec] = {
    "site.yaml": SITE_FIELDS,
    "month index.md": DIGEST_FIELDS,
    "paper index.md": PAPER_FIELDS,
    "paper index.md: experiment": EXPERIMENT_FIELDS,
    "paper index.md: figure": FIGURE_FIELDS,
    "resources (site.yaml and experiment)": RESOURCE_FIELDS,
    "month index.<lang>.md": TRANSLATED_DIGEST_FIELDS,
    "paper index.<lang>.md": TRANSLATED_PAPER_FIELDS,
    "paper index.<lang>.md: figure": TRANSLATED_FIGURE_FIELDS,
}


def reference_markdown() -> str:
    """docs/reference.md."""
    out = [
        "# Input reference",
        "",
        "Generated from `mlcollage/content/schema.py` by `python scripts/reference_docs.py`; do "
        "not edit by hand. Every field is checked when the site loads; a problem is reported as "
        "`path:line: what is wrong; expected ...`. JSON Schemas for editors: `docs/schema/`.",
    ]
    for section, spec in SPECS.items():
        out += ["", f"## {section}", "", "| field | type | required | default | example | "
                "meaning; expected |", "|---|---|---|---|---|---|"]
        for name, (_, expected, required) in spec.items():
            d = DOCS[section][name]
            types = " or ".join(d.json_type) if isinstance(d.json_type, list) else d.json_type
            cells = [f"`{name}`", types, "yes" if required else "no",
                     d.default if not required else "", f"`{_yaml(d.example)}`",
                     f"{d.meaning} Expected: {expected}."]
            out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def _yaml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _properties(section: str, nested: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    spec, docs = SPECS[section], DOCS[section]
    props = {}
    for name, (_, expected, _required) in spec.items():
        d = docs[name]
        prop: dict[str, Any] = {"type": d.json_type, "description": f"{d.meaning} Expected: "
                                f"{expected}.", "examples": [d.example]}
        if nested and name in nested:
            prop |= nested[name]
        props[name] = prop
    return props


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name under docs/schema/ -> JSON Schema (draft 2020-12)."""
    resources = {"type": "object", "additionalProperties": False,
                 "properties": _properties("resources (site.yaml and experiment)")}
    experiment = {"additionalProperties": False, "properties": _properties(
        "paper index.md: experiment", {"resources": resources})}
    figure = {"additionalProperties": False, "properties": _properties("paper index.md: figure"),
              "required": [n for n, (_, _, req) in FIGURE_FIELDS.items() if req]}

    def schema(title: str, section: str, nested: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            "type": "object",
            "additionalProperties": False,
            "required": [n for n, (_, _, req) in SPECS[section].items() if req],
            "properties": _properties(section, nested),
        }

    return {
        "site.schema.json": schema("mlcollage site.yaml", "site.yaml", {"resources": resources}),
        "month.schema.json": schema("mlcollage month index.md front matter", "month index.md"),
        "paper.schema.json": schema("mlcollage paper index.md front matter", "paper index.md",
                                    {"experiment": experiment, "figure": figure}),
    }


def generated_files() -> dict[str, str]:
    """Path under docs/ -> text."""
    out = {"reference.md": reference_markdown()}
    for name, value in json_schemas().items():
        out[f"schema/{name}"] = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return out
