"""Field schemas of site.yaml and the front matter, and the collector of `path:line` problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlcollage.content.frontmatter import Document, did_you_mean
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


SITE_FIELDS: Spec = {
    "title": (_is_str, "a string", True),
    "author": (_is_str, "a string", True),
    "description": (_is_str, "a string", True),
    "base_url": (_is_str, "an absolute http(s) URL", True),
    "language": (_is_str, "a language tag such as 'en'", False),
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
    "arxiv": (lambda v: isinstance(v, str | float), "an arXiv id such as '1806.08734'", False),
    "draft": (_is_bool, "true or false", False),
    "number": (
        lambda v: _is_int(v) and v > 0,
        "a positive integer (position in the series)",
        False,
    ),
    "slug": (_is_str, "a slug of lowercase letters, digits and hyphens", False),
    "experiment": (_is_map, "a mapping with config, seeds, timeout, gpu, resources", False),
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
    "resources": (_is_map, "a mapping such as {gpus: 1, time: 30m, mem: 8G}", False),
}


class Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

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
                    f"field '{name}' is {show(data[key])}; expected {expected}",
                )
                ok = False
        return ok


def _get(data: dict, prefix: tuple[str, ...]) -> dict:
    for key in prefix:
        data = data[key]
    return data


def show(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    kind = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a mapping",
        type(None): "empty",
    }.get(type(value), type(value).__name__)
    return kind if value is None else f"{kind} ({text})"
