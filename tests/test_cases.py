"""The bad-input corpus: one case per file in tests/data/cases (black's layout), one test.

A case file is a header of `# key: value` lines, then (after `# input:`) the bytes written to
`file` in a copy of the fixture site:

    # file: 2020-01/alpha-2019-toy/index.md    (relative to site_src/)
    # symlink: /etc/passwd                      (instead of input: make `file` a symlink)
    # command: check                            (or build; `-C project` is added)
    # expect: {site}/2020-01/...:5: field 'tags' is an integer (5); expected a list of tags
    # input:
    ---
    ...

Each `expect` line is one exact problem line on stderr (`{site}` is the copy's site_src/); the
command must exit 2, print those lines and no others, write nothing and show no traceback.
`MLCOLLAGE_REGENERATE_CASES=1 pytest tests/test_cases.py` rewrites the expect lines from the
current messages; review the diff before committing it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import DATA, FIXTURE_SITE, REPO, run_cli

CASES = DATA / "cases"
REGENERATE = os.environ.get("MLCOLLAGE_REGENERATE_CASES") == "1"


def parse(path: Path) -> tuple[dict[str, str], list[str], bytes | None]:
    """(header fields, expected lines, input bytes or None)."""
    data = path.read_bytes()
    head, sep, body = data.partition(b"# input:\n")
    fields: dict[str, str] = {}
    expect: list[str] = []
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.removeprefix("# ").partition(":")
        if key == "expect":
            if value.strip():
                expect.append(value.strip())
        else:
            fields[key] = value.strip()
    return fields, expect, body if sep else None


def write_case(path: Path, fields: dict[str, str], expect: list[str], body: bytes | None) -> None:
    head = "".join(f"# {k}: {v}\n" for k, v in fields.items() if k in ("file", "symlink", "command"))
    head += "".join(f"# expect: {line}\n" for line in expect) or "# expect:\n"
    path.write_bytes(head.encode() + (b"# input:\n" + body if body is not None else b""))


def test_corpus_is_large_enough() -> None:
    assert len(list(CASES.glob("*.case"))) >= 40


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.case")))
def test_case(tmp_path: Path, name: str) -> None:
    fields, expect, body = parse(CASES / f"{name}.case")
    project = tmp_path / "proj"
    site = project / "site_src"
    shutil.copytree(FIXTURE_SITE, site, ignore=shutil.ignore_patterns("__pycache__"))
    if fields.get("command", "check").startswith("build"):
        shutil.copytree(REPO / "templates", project / "templates")
        shutil.copytree(DATA / "figures", project / "figures")
    target = site / fields["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    if "symlink" in fields:
        if target.is_dir():
            shutil.rmtree(target)
        target.unlink(missing_ok=True)
        target.symlink_to(fields["symlink"])
    else:
        assert body is not None, "a case needs `# input:` or `# symlink:`"
        target.write_bytes(body)
    result = run_cli(*fields.get("command", "check").split(), "-C", project)
    lines = [
        line.replace(str(site), "{site}")
        for line in result.err.splitlines()
        if not line.startswith(("mlcollage:", "notice:", "warning:"))
    ]
    if REGENERATE:
        write_case(CASES / f"{name}.case", fields, lines, body)
    assert "Traceback" not in result.err + result.out
    assert result.code == 2, result.err
    assert lines == expect
    assert lines, "a case must expect at least one problem"
    assert "nothing was written" in result.err
    assert not (project / "_site").exists()
