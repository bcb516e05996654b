"""YAML documents and Markdown front matter, with the line of every key for error messages."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FENCE = "---"


@dataclass
class Document:
    """A parsed YAML mapping that can say on which line each key sits (computed on demand)."""

    path: Path
    text: str
    first_line: int  # file line of the YAML text's first line
    data: dict[str, Any]
    problems: list[Any] = field(default_factory=list)
    _lines: dict[tuple[str, ...], int] | None = None
    _raw: dict[tuple[str, ...], str] = field(default_factory=dict)

    def line(self, *keys: str) -> int:
        """File line of the key path ``keys`` (or of its nearest existing parent)."""
        if self._lines is None:
            self._lines = _key_lines(self.text, self.first_line, self._raw)
        while keys:
            if keys in self._lines:
                return self._lines[keys]
            keys = keys[:-1]
        return max(self.first_line - 1, 1)

    def raw(self, *keys: str) -> str | None:
        """The source text of the plain (unquoted) scalar at ``keys``, as the author typed it."""
        self.line()
        return self._raw.get(keys)


def parse_yaml(
    path: Path, text: str, first_line: int = 1
) -> tuple[Document | None, str | None, int]:
    """Parse a YAML mapping; on failure return (None, message, line)."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        # the context mark is where the broken construct starts (an unclosed bracket or quote);
        # the problem mark is often the end of the text
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = first_line + (_line(text, mark) if mark else 0)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if getattr(exc, "context", None):
            what = f"{what} ({exc.context})"
        return None, f"invalid YAML: {what}; expected a YAML mapping of `field: value` lines", line
    except ValueError as exc:  # a well-formed but impossible timestamp, such as 2020-13-31
        value, line = _bad_timestamp(text)
        return None, f"invalid date {value!r} ({exc}); expected a real date as YYYY-MM-DD", (
            first_line + line
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, f"YAML is {show(data)}; expected a mapping of `field: value` lines", first_line
    return Document(path, text, first_line, data), None, 0


def _bad_timestamp(text: str) -> tuple[str, int]:
    """The first timestamp scalar in ``text`` that does not construct, and its line (0-based)."""
    stack = [yaml.compose(text, Loader=_Loader)]
    constructor = _Loader(text)
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.MappingNode):
            stack[:0] = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack[:0] = list(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
            try:
                constructor.construct_yaml_timestamp(node)
            except ValueError:
                return node.value, _line(text, node.start_mark)
    return "", 0


def split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """Split ``---\\nYAML\\n---\\nbody``: (yaml, yaml's first line, body, body's first line)."""
    lines = text.split("\n")  # not splitlines: \x85, \u2028, \x0c ... are no new line to an editor
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if not lines or lines[0].rstrip() != FENCE:
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == FENCE:
            return "".join(lines[1:i]), 2, "".join(lines[i + 1 :]), i + 2
    return None


def _key_lines(
    text: str, first_line: int, raw: dict[tuple[str, ...], str]
) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = {}
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return out

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                path = prefix + (str(key.value),)
                out.setdefault(path, first_line + _line(text, key.start_mark))
                walk(value, path)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                path = prefix + (str(i),)
                out.setdefault(path, first_line + _line(text, item.start_mark))
                walk(item, path)
        elif isinstance(node, yaml.ScalarNode) and not node.style:  # plain: '' (C) or None
            raw.setdefault(prefix, node.value)

    walk(node, ())
    return out


def _line(text: str, mark: Any) -> int:
    """The 0-based line of a YAML mark as an editor counts lines (YAML also breaks at \x85,
    \u2028 and \u2029)."""
    index = getattr(mark, "index", None)
    if not isinstance(index, int):
        return mark.line
    return text.count("\n", 0, index)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` when a close match exists, else the list of valid names."""
    choices = sorted(choices)
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices)


def show(value: Any) -> str:
    """A value for a message: its kind, and its text cut at 40 characters."""
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
        dt.date: "a date",
        dt.datetime: "a date and time",
    }.get(type(value), type(value).__name__)
    if isinstance(value, dt.date):
        text = value.isoformat()
    return kind if value is None else f"{kind} ({text})"
