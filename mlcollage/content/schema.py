"""Field schemas of site.yaml and the front matter, and the collector of `path:line` problems."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlcollage.content.cluster import mem_gb
from mlcollage.content.frontmatter import Document, did_you_mean, show
from mlcollage.model import Problem

# field -> (type check, what is expected, required)
Spec = dict[str, tuple[Callable[[Any], bool], str, bool]]


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(_is_str(x) for x in v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_map(v: Any) -> bool:
    return isinstance(v, dict)


def _is_date(v: Any) -> bool:
    if isinstance(v, dt.date):
        return True
    try:
        dt.date.fromisoformat(str(v))
    except ValueError:
        return False
    return True


ARXIV_RE = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.-]*(\.[A-Z]{2})?/\d{7})(v\d+)?$")
"""New-style ids (1806.08734, 2006.10730v2) and old-style ones (hep-th/9901001, math.GT/0309136)."""


def _is_arxiv(v: Any) -> bool:
    return isinstance(v, str) and bool(ARXIV_RE.match(v.strip()))


SITE_FIELDS: Spec = {
    "title": (_is_str, "a string", True),
    "author": (_is_str, "a string", True),
    "description": (_is_str, "a string", True),
    "base_url": (_is_str, "an absolute http(s) URL", True),
    "language": (_is_str, "a language tag such as 'en'", False),
    "languages": (
        lambda v: _is_str_list(v) and len(v) >= 1 and len(set(v)) == len(v),
        "a list of distinct language tags, the default first, such as [en, zh-CN]",
        False,
    ),
    "translations": (
        lambda v: _is_map(v) and all(_is_map(x) for x in v.values()),
        "a mapping such as {zh-CN: {title: ..., description: ...}}",
        False,
    ),
    "series": (_is_str, "a string such as 'ML-Collage'", False),
    "search": (_is_bool, "true or false (build the search index)", False),
    "resources": (_is_map, "a mapping such as {partition: gpu, time: 30m, mem: 8G}", False),
}
DIGEST_FIELDS: Spec = {
    "title": (_is_str, "a string", True),
    "date": (_is_date, "a date YYYY-MM-DD", True),
    "description": (_is_str, "a string", False),
    "draft": (_is_bool, "true or false", False),
    "papers": (_is_str_list, "a list of paper folder names, in order", False),
}
TRANSLATED_SITE_FIELDS: Spec = {
    "title": (_is_str, "a string", False),
    "description": (_is_str, "a string", False),
    "author": (_is_str, "a string", False),
}
TRANSLATED_DIGEST_FIELDS: Spec = {
    "title": (_is_str, "a string", False),
    "description": (_is_str, "a string", False),
}
"""`index.<lang>.md` of a month: what a translation may say (the rest is the default's)."""
TRANSLATED_PAPER_FIELDS: Spec = {
    "title": (_is_str, "a string", False),
    "takeaways": (
        lambda v: _is_str_list(v) and 1 <= len(v) <= 4,
        "a list of 1-4 short lines",
        False,
    ),
    "venue": (_is_str, "a string such as 'ICML'", False),
    "figure": (_is_map, "a mapping with the figure's alt, title and credit in this language",
               False),
}
"""`index.<lang>.md` of a paper: the translated title, takeaways, summary and figure texts;
authors, links, tags, the figure's file and the experiment are the default language's."""
TRANSLATED_FIGURE_FIELDS: Spec = {
    "alt": (_is_str, "alt text in this language", False),
    "title": (_is_str, "a short panel title in this language", False),
    "credit": (_is_str, "the credit line in this language", False),
}
PAPER_FIELDS: Spec = {
    "title": (_is_str, "a string", True),
    "authors": (lambda v: _is_str_list(v) and len(v) > 0, "a non-empty list of names", True),
    "year": (lambda v: _is_int(v) and 1900 <= v <= 2100, "a year such as 2019", True),
    "venue": (_is_str, "a string such as 'ICML'", False),
    "links": (_is_map, "a mapping such as {paper: https://...}", False),
    "tags": (_is_str_list, "a list of tags", False),
    "takeaways": (
        lambda v: _is_str_list(v) and 1 <= len(v) <= 4,
        "a list of 1-4 short lines",
        False,
    ),
    "arxiv": (_is_arxiv, "an arXiv id as a string, such as '1806.08734'", False),
    "draft": (_is_bool, "true or false", False),
    "number": (
        lambda v: _is_int(v) and v > 0,
        "a positive integer (position in the series)",
        False,
    ),
    "slug": (_is_str, "a slug of lowercase letters, digits and hyphens", False),
    "experiment": (_is_map, "a mapping with config, seeds, timeout, gpu, resources", False),
    "figure": (_is_map, "a mapping with file, credit, alt (the paper's own figure)", False),
}
FIGURE_FIELDS: Spec = {
    "file": (_is_str, "an image file in the paper's folder (.png or .jpg), such as fig1.png", True),
    "credit": (
        _is_str,
        "a credit line such as 'Figure 1 of Rahaman et al. 2019, CC BY 4.0'",
        True,
    ),
    "alt": (_is_str, "alt text: what the figure shows, for readers who cannot see it", True),
    "title": (_is_str, "a short panel title (default: 'The paper's figure')", False),
}
EXPERIMENT_FIELDS: Spec = {
    "config": (_is_map, "a mapping of Config field overrides", False),
    "seeds": (
        lambda v: isinstance(v, list) and len(v) > 0 and all(_is_int(s) and s >= 0 for s in v),
        "a non-empty list of non-negative integers",
        False,
    ),
    "timeout": (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v > 0,
        "a positive number of seconds",
        False,
    ),
    "gpu": (_is_bool, "true or false (run on CUDA)", False),
    "memory": (
        lambda v: mem_gb(v) is not None and mem_gb(v) > 0,
        "a memory size such as '2G' or '500M' (the most a local run may allocate)",
        False,
    ),
    "resources": (_is_map, "a mapping such as {gpus: 1, time: 30m, mem: 8G}", False),
}


class Collector:
    """Every problem found, as `path:line: message`; ``root`` is the site (`site_src/`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.problems: list[Problem] = []
        self.root = root if root is not None else Path(".")
        self.touched: set[str] | None = None
        """serve: the folders its watcher saw a change in (None: look at every file)."""
        self.realpaths: dict[str, str] = {}
        """The real path of each folder an input was read from (`inputs.real_path`): kept for
        one load only, so a folder replaced by a symlink is seen by the next."""

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def check_fields(self, doc: Document, spec: Spec, prefix: tuple[str, ...] = ()) -> bool:
        data = _get(doc.data, prefix)
        ok = True
        where = ".".join(prefix)
        for key in data:
            if key not in spec:
                name = f"{where}.{key}" if where else str(key)
                self.add(
                    doc.path,
                    doc.line(*prefix, str(key)),
                    f"unknown field '{name}'; {did_you_mean(str(key), spec)}",
                )
                ok = False
        for key, (check, expected, required) in spec.items():
            name = f"{where}.{key}" if where else key
            if key not in data:
                if required:
                    self.add(
                        doc.path,
                        doc.line(*prefix),
                        f"missing required field '{name}'; expected {expected}",
                    )
                    ok = False
            elif not check(data[key]):
                self.add(
                    doc.path,
                    doc.line(*prefix, key),
                    f"field '{name}' is {show(data[key])}; expected {expected}"
                    + quote_hint(doc, (*prefix, key), data[key], check),
                )
                ok = False
        return ok


def quote_hint(doc: Document, keys: tuple[str, ...], value: Any, check: Callable) -> str:
    """`; quote it: ...` when YAML read text as a bool, number or date and the text would do.

    (`arxiv: 2006.10730` is the float 2006.1073, `title: yes` is True, `venue: 2019` an int.)
    """
    if isinstance(value, list):
        texts = [_typed_text(doc, (*keys, str(i)), item) for i, item in enumerate(value)]
        if any(t is not None for t in texts) and check(
            [item if t is None else t for item, t in zip(value, texts, strict=True)]
        ):
            bad = next(t for t in texts if t is not None)
            return f"; quote the values YAML reads as {_kind(value, texts)}, e.g. '{bad}'"
        return ""
    text = _typed_text(doc, keys, value)
    if text is None or not check(text):
        return ""
    return f"; quote it: {keys[-1]}: '{text}' (YAML reads {text} as {show_kind(value)})"


def _typed_text(doc: Document, keys: tuple[str, ...], value: Any) -> str | None:
    """The source text of a scalar YAML did not read as a string, None if it is one."""
    if isinstance(value, str) or not isinstance(value, bool | int | float | dt.date):
        return None
    return doc.raw(*keys) or str(value)


def _kind(items: list, texts: list[str | None]) -> str:
    return next(show_kind(v) for v, t in zip(items, texts, strict=True) if t is not None)


def show_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def _get(data: dict, prefix: tuple[str, ...]) -> dict:
    for key in prefix:
        data = data[key]
    return data
