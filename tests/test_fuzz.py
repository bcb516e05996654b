"""Property tests: no front matter, site.yaml, Markdown or bytes end in a traceback.

Generated inputs go through the load/validate layer in this process (no subprocess per example):
each one either loads, or raises `InputError` whose every problem is `path:line: message` with a
line inside the file. The Markdown body is also rendered to HTML. 500 examples in `make test`,
10,000 in the slow test.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcollage.content.load import load_site
from mlcollage.content.schema import DIGEST_FIELDS, PAPER_FIELDS, SITE_FIELDS
from mlcollage.model import InputError
from mlcollage.render.markdown import Markup

from helpers import FIXTURE_SITE

TARGETS = {
    "paper": ("2020-01/alpha-2019-toy/index.md", PAPER_FIELDS, True),
    "paper-no-experiment": ("2020-01/beta-2018-second/index.md", PAPER_FIELDS, True),
    "digest": ("2020-01/index.md", DIGEST_FIELDS, True),
    "site": ("site.yaml", SITE_FIELDS, False),
}
EXPERIMENT_KEYS = ["config", "seeds", "timeout", "gpu", "resources", "memory", "steps", "n"]

# a small alphabet of the characters that matter to YAML and Markdown keeps generation cheap
chars = st.sampled_from(list("aZ09 _-.:,#&*!|>%@`'\"\\/[]{}()<>?=~\n\té€λ\u200b\x00\x85"))
text = st.text(chars, max_size=20)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
    | st.dates(min_value=dt.date(1, 1, 1))
    | st.sampled_from(["yes", "no", "on", "2006.10730", "2019", "~", "null", "1e3", "0x1f",
                       "https://x.org/a", "../notes.txt", "javascript:alert(1)", "a/../../b"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(text | st.sampled_from(EXPERIMENT_KEYS), inner, max_size=4),
    max_leaves=8,
)


def mapping(fields: dict) -> st.SearchStrategy[dict]:
    keys = st.sampled_from(sorted(fields) + ["titel", "experiment", "1"]) | text
    return st.dictionaries(keys, values, max_size=8)


@st.composite
def document(draw: st.DrawFn) -> tuple[str, bytes]:
    """(target, the file's bytes): YAML of generated values, raw text, or raw bytes."""
    target = draw(st.sampled_from(sorted(TARGETS)))
    rel, fields, fenced = TARGETS[target]
    kind = draw(st.sampled_from(["yaml", "yaml", "yaml", "text", "bytes"]))
    if kind == "bytes":
        return rel, draw(st.binary(max_size=200))
    if kind == "text":
        front = draw(st.text(chars, max_size=200))
    else:
        data = draw(mapping(fields))
        front = yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False)
    if not fenced:
        return rel, front.encode("utf-8", "surrogatepass")
    body = draw(markdown)
    text = f"---\n{front}---\n{body}"
    return rel, text.encode("utf-8", "surrogatepass")


markdown = st.lists(
    st.sampled_from(["# h", "[a](b)", "![i](x.png)", "`c`", "$x^2$", "$$", "<b>", "</div>",
                     "<script>x</script>", "<!-- papers -->", "---", "```py", "* ", "1. ",
                     "\n", "\n\n", "|a|b|\n|-|-|", "&amp;", "&#0;", "\\", "**", "_", "<"])
    | text,
    max_size=12,
).map("".join)


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "site_src"
    shutil.copytree(FIXTURE_SITE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def check_one(root: Path, rel: str, data: bytes) -> None:
    """Load the site with ``data`` at ``rel``: a Site, or an InputError of clean problems."""
    path = root / rel
    original = (FIXTURE_SITE / rel).read_bytes()
    path.write_bytes(data)
    try:
        try:
            site = load_site(root, include_drafts=True, include_future=True)
        except InputError as exc:
            assert exc.problems
            for p in exc.problems:
                assert p.line >= 1, p
                assert str(p).startswith(f"{p.path}:{p.line}: "), p
                if p.path == path:
                    assert p.line <= max(data.count(b"\n") + 1, 1), p
            return
        md = Markup()
        for paper in site.papers:
            md(paper.summary_md)
        for digest in site.digests:
            md(digest.intro_md)
            md(digest.outro_md)
    finally:
        path.write_bytes(original)


FAST = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FAST
@given(document())
def test_generated_input_loads_or_reports_cleanly(site_root: Path, case: tuple[str, bytes]) -> None:
    check_one(site_root, *case)


@pytest.mark.slow
@settings(FAST, max_examples=10_000, derandomize=False)
@given(document())
def test_generated_input_loads_or_reports_cleanly_10k(
    site_root: Path, case: tuple[str, bytes]
) -> None:
    check_one(site_root, *case)
