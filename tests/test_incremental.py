"""Rebuilds after an edit: the caches of `.mlcollage/` (loaded papers, slide keys) see every
change, are bypassed by --no-cache, and a bad edit fails exactly like a build without them."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import time
from pathlib import Path

import pytest

from mlcollage.content import load as content
from mlcollage.content.load import load_site
from mlcollage.model import InputError
from mlcollage.state.memo import Memo

from helpers import ALPHA, build, run_cli

BETA = "site_src/2020-01/beta-2018-second"
GAMMA = "site_src/2019-12/gamma-2019-old"
LOAD_CACHE = ".mlcollage/load-memo.pickle"


def age(project: Path, seconds: int = 600) -> None:
    """Date every file back, out of the window in which a just-written file is never cached."""
    then = time.time_ns() - seconds * 10**9
    for path in project.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(then, then))


def edit(path: Path, old: str, new: str, offset_s: int = 1) -> None:
    """Replace text in place; the mtime moves ``offset_s`` on from the old one (still aged)."""
    st = path.stat()
    path.write_text(path.read_text().replace(old, new, 1))
    mtime = st.st_mtime_ns + offset_s * 10**9
    os.utime(path, ns=(mtime, mtime))


def papers(site) -> dict:
    return {p.slug: p for p in site.papers}


def load(project: Path, cache: Path | None) -> tuple:
    """load_site through a cache file; returns (site, papers parsed and validated afresh)."""
    fresh = []
    real = content._load_paper

    def counting(folder, month, col):
        fresh.append(folder.name)
        return real(folder, month, col)

    content._load_paper = counting
    try:
        store = Memo(cache)
        site = load_site(project / "site_src", cache=store)
        store.save()
    finally:
        content._load_paper = real
    return site, fresh


def test_load_cache_reuses_unchanged_papers_and_sees_every_edit(project: Path) -> None:
    cache = project / LOAD_CACHE
    age(project)
    first, fresh = load(project, cache)
    assert sorted(fresh) == ["alpha-2019-toy", "beta-2018-second", "gamma-2019-old"]
    written = cache.stat().st_mtime_ns
    again, fresh = load(project, cache)
    assert fresh == [] and again == first
    assert cache.stat().st_mtime_ns == written  # all hits: the cache file is not rewritten
    assert [p.digest for p in again.papers] == [p.digest for p in first.papers]

    index = project / BETA / "index.md"
    edit(index, "ampersand", "AMPERSAND")  # same size, new mtime
    site, fresh = load(project, cache)
    assert fresh == ["beta-2018-second"]
    assert "AMPERSAND" in papers(site)["beta-2018-second"].summary_md

    st = index.stat()  # same size and mtime, another inode (an editor's save by rename)
    tmp = index.with_name("index.tmp")
    tmp.write_text(index.read_text().replace("AMPERSAND", "Ampersand"))
    os.replace(tmp, index)
    os.utime(index, ns=(st.st_mtime_ns, st.st_mtime_ns))
    assert index.stat().st_size == st.st_size and index.stat().st_ino != st.st_ino
    site, fresh = load(project, cache)
    assert fresh == ["beta-2018-second"]
    assert "Ampersand" in papers(site)["beta-2018-second"].summary_md

    for path in (project / GAMMA).iterdir():
        path.unlink()
    (project / GAMMA).rmdir()
    site, fresh = load(project, cache)
    assert fresh == [] and "gamma-2019-old" not in papers(site)
    with open(cache, "rb") as fh:
        names = pickle.load(fh)["entries"]
    assert not any("gamma" in name for name in names)  # entries of removed files are dropped


def test_load_cache_is_keyed_by_the_experiment_config(project: Path) -> None:
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("tags:", "experiment: {config: {noise: 0.2}}\ntags:"))
    cache = project / LOAD_CACHE
    age(project)
    site, _ = load(project, cache)
    assert papers(site)["alpha-2019-toy"].experiment.config == {"noise": 0.2}
    edit(project / ALPHA / "experiment.py", "noise: float = 0.1", "sigma: float = 0.1")
    with pytest.raises(InputError) as cached:
        load(project, cache)
    with pytest.raises(InputError) as uncached:
        load_site(project / "site_src")
    assert str(cached.value) == str(uncached.value)
    assert "unknown config field 'noise'" in str(cached.value)


def test_load_cache_sees_digest_edits_and_their_problems(project: Path) -> None:
    cache = project / LOAD_CACHE
    digest = project / "site_src/2020-01/index.md"
    age(project)
    load(project, cache)
    edit(digest, "The outro.", "The new outro.")
    site, _ = load(project, cache)
    assert site.digests[0].outro_md == "The new outro."
    edit(digest, "date: 2020-01-31", "date: 2020-01-3x", offset_s=2)
    with pytest.raises(InputError) as cached:
        load(project, cache)
    with pytest.raises(InputError) as uncached:
        load_site(project / "site_src")
    assert str(cached.value) == str(uncached.value)
    assert f"{digest}:3: field 'date'" in str(cached.value)


def test_files_just_written_are_never_cached(project: Path) -> None:
    cache = project / LOAD_CACHE
    age(project, 0)  # every file just written: too recent to be keyed
    load(project, cache)
    assert not cache.exists() or Memo(cache).old == {}
    index = project / BETA / "index.md"
    st = index.stat()
    index.write_text(index.read_text().replace("ampersand", "AMPERSAND"))  # same size, at once
    os.utime(index, ns=(st.st_mtime_ns, st.st_mtime_ns))
    site, fresh = load(project, cache)
    assert "beta-2018-second" in fresh
    assert "AMPERSAND" in papers(site)["beta-2018-second"].summary_md


def test_edit_rebuild_and_bad_edit_after_good_build(project: Path) -> None:
    build(project)
    age(project)
    build(project)  # now the caches hold every paper and slide key
    index = project / BETA / "index.md"
    index.write_text(index.read_text() + "\nA sentence added in an edit, token q7x.\n")
    build(project)
    page = (project / "_site/2020-01/beta-2018-second/index.html").read_text()
    assert "token q7x" in page
    assert "token q7x" in (project / "_site/2020-01/index.html").read_text()

    age(project)
    build(project)
    text = index.read_text()
    edit(index, "year: 2018", "year: 20x8")
    bad = run_cli("build", "-C", project)
    line = text.splitlines().index("year: 2018") + 1
    assert bad.code == 2
    assert f"{project / BETA / 'index.md'}:{line}: field 'year' is a string" in bad.err
    assert run_cli("build", "-C", project, "--no-cache").err == bad.err
    assert page == (project / "_site/2020-01/beta-2018-second/index.html").read_text()
    index.write_text(text)
    build(project)


def test_no_cache_bypasses_the_load_cache(project: Path) -> None:
    build(project)
    age(project)
    build(project)
    path = project / LOAD_CACHE
    with open(path, "rb") as fh:
        data = pickle.load(fh)
    name = str(project / BETA)
    key, paper = data["entries"][name]
    data["entries"][name] = (key, dataclasses.replace(paper, title="Poisoned Title"))
    path.write_bytes(pickle.dumps(data))
    # not a no-op, and not a prose edit (which loads what it did not touch from the snapshot)
    config = project / "site_src/site.yaml"
    config.write_text(config.read_text() + "# edited\n")
    page = project / "_site/2020-01/beta-2018-second/index.html"
    build(project)
    assert "Poisoned Title" in page.read_text()  # the cache is what a build reads...
    build(project, "--no-cache")
    assert "Poisoned Title" not in page.read_text()  # ...and --no-cache does not


def test_missing_slide_is_redrawn_with_cached_keys(project: Path) -> None:
    build(project)
    age(project)
    build(project)
    slide = project / "figures/2020-01/beta-2018-second/slide.png"
    slide.unlink()
    build(project)
    assert slide.is_file()
    pdf = project / "figures/2020-01/digest.pdf"
    pdf.unlink()
    build(project)
    assert pdf.is_file()


def test_edit_rewrites_only_its_years_search_file(project: Path) -> None:
    build(project)
    site = project / "_site"
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in (site / "search").iterdir()}
    assert set(before) == {"index.js", "2019.js", "2020.js"}
    index = project / BETA / "index.md"
    index.write_text(index.read_text() + "\nA sentence added in an edit, token s9z.\n")
    build(project)
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in (site / "search").iterdir()}
    assert after["2019.js"] == before["2019.js"]  # not rewritten: same file, same bytes
    assert b"token s9z" in after["2020.js"][1] and b"token s9z" not in before["2020.js"][1]
    old_v, new_v = (
        [n for n in files["index.js"][1].decode().split('"') if n.startswith("2020.js?v=")]
        for files in (before, after)
    )
    assert old_v != new_v  # browsers fetch the changed year file again
    cold = run_cli("build", "-C", project, "--no-cache", "--out", project / "cold")
    assert cold.code == 0, cold.err
    for name, (_, data) in after.items():  # the incremental result is what a cold build writes
        assert (project / "cold/search" / name).read_bytes() == data, name


EDITS = [
    ("prose", ALPHA + "/index.md", "fits a line", "fits a straight line"),
    ("takeaway", ALPHA + "/index.md", "More data, less error", "More data, smaller error"),
    ("tag", ALPHA + "/index.md", "tags: [toy, regression]", "tags: [toy, linear]"),
    ("digest order", "site_src/2020-01/index.md", "papers: [beta-2018-second, alpha-2019-toy]",
     "papers: [alpha-2019-toy, beta-2018-second]"),
    ("digest intro", "site_src/2020-01/index.md", "The outro.", "The new outro."),
    ("template", "templates/_footer.html", "</footer>", "<p>edited</p></footer>"),
    ("experiment", GAMMA + "/experiment.py", "n: int = 20000", "n: int = 16000"),
    ("title", ALPHA + "/index.md", "title: A Toy Paper", "title: An Edited Toy Paper"),
]


def test_incremental_build_equals_cold_build_after_each_edit(project: Path) -> None:
    """After every kind of edit, the incrementally updated site is byte for byte what a cold
    build (`--no-cache`, a fresh folder) writes: a page key that misses an input fails here."""
    from helpers import snapshot

    build(project)
    age(project)
    for i, (kind, rel, old, new) in enumerate(EDITS):
        path = project / rel
        assert old in path.read_text(), kind
        edit(path, old, new, offset_s=i + 1)
        build(project)
        cold = project / f"cold-{i}"
        build(project, "--no-cache", "--out", cold)
        assert snapshot(project / "_site") == snapshot(cold), kind


def test_an_edit_in_a_subpackage_changes_the_code_key(tmp_path: Path) -> None:
    """The memos and page keys hash every module of every subpackage, not only the top level."""
    import shutil
    import subprocess
    import sys

    import mlcollage

    copy = tmp_path / "mlcollage"
    shutil.copytree(Path(mlcollage.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))

    def key() -> str:
        code = "from mlcollage.state.memo import code_key; print(code_key())"
        out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                             text=True, check=True, env={"PYTHONPATH": str(tmp_path)})
        return out.stdout.strip()

    before = key()
    for rel in ("run/plan.py", "run/engines/local.py", "render/pages.py"):
        with open(copy / rel, "a") as fh:
            fh.write("\n# an edit\n")
        after = key()
        assert after != before, rel
        before = after


def test_code_key_is_kept_by_the_stat_of_the_modules(tmp_path: Path, monkeypatch) -> None:
    """The key is reused from `.mlcollage/code-key.json` while every module's stat and the
    `sys.path` folders are those it was computed under; a module changed since is hashed again.
    The libraries' versions likewise (`versions.json`), without importing `importlib.metadata`."""
    from mlcollage.state import memo

    monkeypatch.setattr(memo, "CACHE_DIR", tmp_path)
    memo.code_key.cache_clear()
    key = memo.code_key()
    assert key and (tmp_path / "code-key.json").is_file()  # (the modules are older than 2 s)
    versions = memo.installed("markdown", "no-such-distribution")
    assert versions["markdown"] and versions["no-such-distribution"] == ""
    memo.code_key.cache_clear()
    read: list[Path] = []
    stock = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or stock(self))
    import importlib.metadata

    def unread(name: str) -> str:
        raise AssertionError(f"read the metadata of {name}")

    monkeypatch.setattr(importlib.metadata, "version", unread)
    assert memo.code_key() == key and read == []  # from the cache: no module read
    assert memo.installed("markdown", "no-such-distribution") == versions
    monkeypatch.undo()
    monkeypatch.setattr(memo, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or stock(self))
    cached = json.loads((tmp_path / "code-key.json").read_text())
    cached["stamp"][3][0][2] += 1  # as if the first module had been rewritten since
    (tmp_path / "code-key.json").write_text(json.dumps(cached))
    memo.code_key.cache_clear()
    assert memo.code_key() == key and read  # hashed again (the same bytes: the same key)
    memo.code_key.cache_clear()
