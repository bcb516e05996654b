"""`mlcollage build` after a prose edit (issue 26): the no-op check's stat names the changed
files, the pages they change are re-rendered from the last build's snapshot, published
through the standby folder and recorded; anything that is not a prose edit builds in full. Every
site equals a cold build's, byte for byte."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from helpers import ALPHA, build, snapshot

BETA = "site_src/2020-01/beta-2018-second"
GAMMA = "site_src/2019-12/gamma-2019-old"
QUICK = "(a prose edit:"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def same_as_cold(project: Path, name: str = "cold") -> None:
    cold = project.parent / name
    build(project, "--no-cache", "--out", cold)
    assert snapshot(project / "_site") == snapshot(cold)


def inodes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*")
            if p.is_file()}


def test_a_summary_edit_is_quick_and_writes_only_its_pages(frozen: Path) -> None:
    build(frozen)
    before = inodes(frozen / "_site")
    edit(frozen / ALPHA / "index.md", "fits a line", "fits a quick line")
    result = build(frozen)
    assert QUICK in result.err, result.err
    assert "experiments" not in result.err  # nothing ran, nothing was planned
    after = inodes(frozen / "_site")
    new = {rel for rel, ino in after.items() if before.get(rel) != ino} - {".mlcollage-site"}
    assert new == {"2020-01/alpha-2019-toy/index.html", "2020-01/index.html",
                   "search/2020.js", "search/index.js"}, new
    assert "fits a quick line" in (frozen / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    assert "nothing changed" in build(frozen).err  # recorded: the next build is a no-op
    same_as_cold(frozen)


def append(path: Path, words: str) -> None:
    """Add ``words`` to the last line of ``path`` (a summary's or intro's last sentence)."""
    text = path.read_text().rstrip("\n")
    path.write_text(f"{text} {words}\n")


def test_edits_one_after_another_in_two_months_and_languages_equal_cold_builds(
        frozen: Path) -> None:
    build(frozen)
    edits = [ALPHA + "/index.md", ALPHA + "/index.md", GAMMA + "/index.md",
             "site_src/2020-01/index.md", *sorted(str(p.relative_to(frozen))
                                                  for p in (frozen / "site_src").rglob("index.*.md"))]
    for i, rel in enumerate(edits):
        append(frozen / rel, f"Edit number {i}.")
        result = build(frozen)
        assert f"Edit number {i}." in "".join(
            p.read_text() for p in (frozen / "_site").rglob("*.html")), rel
        same_as_cold(frozen, f"cold{i}")
        assert QUICK in result.err, (rel, result.err)  # from a snapshot older than the build


def test_a_prose_edit_loads_from_the_snapshot_not_the_load_memo(frozen: Path) -> None:
    import dataclasses
    import pickle

    build(frozen)
    memo = frozen / ".mlcollage/load-memo.pickle"
    kept = memo.read_bytes()
    data = pickle.loads(kept)  # a poisoned entry for a paper the edit's month also shows
    key, paper = data["entries"][str(frozen / BETA)]
    data["entries"][str(frozen / BETA)] = (key, dataclasses.replace(paper, title="Poisoned"))
    memo.write_bytes(pickle.dumps(data))
    poisoned = memo.stat()
    for i in range(2):  # the second edit starts from the snapshot the first one saved
        append(frozen / ALPHA / "index.md", f"Snapshot edit {i}.")
        assert QUICK in build(frozen).err
        assert "Poisoned" not in (frozen / "_site/2020-01/index.html").read_text()
        assert (memo.stat().st_mtime_ns, memo.stat().st_ino) == (
            poisoned.st_mtime_ns, poisoned.st_ino)  # neither rewritten nor replaced
    memo.write_bytes(kept)  # the memo from before the edits: the edited paper's entry is stale
    edit(frozen / "templates/_footer.html", "</footer>", "<p>edited</p></footer>")
    result = build(frozen)
    assert QUICK not in result.err, result.err
    assert "Snapshot edit 1." in (frozen / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    same_as_cold(frozen)


def test_a_prose_edit_takes_its_dates_and_plurals_from_the_snapshot(frozen: Path,
                                                                   monkeypatch) -> None:
    from mlcollage import i18n

    build(frozen)
    append(frozen / ALPHA / "index.md", "A first edit.")
    assert QUICK in build(frozen).err  # its pages' CLDR texts join the snapshot
    i18n._CLDR.clear()  # as in a new process
    made: list[str] = []
    cldr = i18n._cldr
    monkeypatch.setattr(i18n, "_cldr", lambda key, make: cldr(key, lambda: made.append(key) or make()))
    append(frozen / ALPHA / "index.md", "A second edit.")
    assert QUICK in build(frozen).err
    assert made == []  # Babel was not asked: no import, no CLDR data read
    same_as_cold(frozen)


def test_prose_edits_save_their_months_beside_the_full_builds_snapshot(frozen: Path) -> None:
    import pickle

    build(frozen)
    state = frozen / ".mlcollage"
    full = (state / "snapshot.pickle").stat()
    for i, rel in enumerate([ALPHA, GAMMA, ALPHA]):
        append(frozen / rel / "index.md", f"Saved edit {i}.")
        assert QUICK in build(frozen).err
        same_as_cold(frozen, f"cold{i}")
    assert (state / "snapshot.pickle").stat().st_mtime_ns == full.st_mtime_ns  # not rewritten
    edits = pickle.loads((state / "snapshot-edits.pickle").read_bytes())
    assert sorted(edits["months"]["en"]) == ["2019-12", "2020-01"]  # both months, each once
    edit(frozen / "templates/_footer.html", "</footer>", "<p>edited</p></footer>")
    assert QUICK not in build(frozen).err
    assert not (state / "snapshot-edits.pickle").exists()  # the new snapshot holds them
    append(frozen / GAMMA / "index.md", "After the full build.")
    assert QUICK in build(frozen).err
    same_as_cold(frozen, "cold-after")


def test_prose_edits_built_with_the_project_named_two_ways_equal_cold_builds(
        frozen: Path, monkeypatch) -> None:
    from helpers import run_cli

    build(frozen)  # `-C /abs/project`: the snapshot's paths are absolute
    monkeypatch.chdir(frozen)
    last = str(frozen)
    for i, project in enumerate([".", ".", str(frozen), str(frozen), "."]):
        append(frozen / ALPHA / "index.md", f"Named edit {i}.")
        result = run_cli("build", "-C", project)
        assert result.code == 0, result.err
        if project == last:  # (after a change of name the slide memo's names are the other's)
            assert QUICK in result.err, result.err
        last = project
        same_as_cold(frozen, f"cold{i}")


@pytest.mark.parametrize("change", ["template", "site-yaml", "added-file", "experiment",
                                    "new-tag", "title"])
def test_what_is_not_a_prose_edit_builds_in_full(frozen: Path, change: str) -> None:
    build(frozen)
    alpha = frozen / ALPHA
    if change == "template":
        edit(frozen / "templates/_footer.html", "</footer>", "<p>edited</p></footer>")
    elif change == "site-yaml":
        edit(frozen / "site_src/site.yaml", "title: ", "title: Edited ")
    elif change == "added-file":
        (alpha / "extra.txt").write_text("a page-bundle file\n")
    elif change == "experiment":
        path = alpha / "experiment.py"
        path.write_text(path.read_text() + "\n# an edit\n")
    elif change == "new-tag":
        edit(alpha / "index.md", "tags: [toy, regression]", "tags: [toy, regression, fresh]")
    else:  # the slide shows the title: it is drawn again
        edit(alpha / "index.md", "title: A Toy Paper", "title: A Retitled Toy Paper")
    if change == "experiment":  # its results are stale: the full build finds it out
        result = build(frozen, "--no-run", code=1)
        assert QUICK not in result.err and "results are stale" in result.err, result.err
        return
    result = build(frozen)
    assert QUICK not in result.err, result.err
    assert "mlcollage: published" in result.err
    same_as_cold(frozen)


def test_a_broken_edit_is_bad_input_and_writes_nothing(frozen: Path) -> None:
    build(frozen)
    state = frozen / ".mlcollage"
    records = {p.name: p.read_bytes() for p in state.glob("*.json")}
    site = snapshot(frozen / "_site")
    index = frozen / ALPHA / "index.md"
    good = index.read_text()
    index.write_text(good.replace("title: A Toy Paper", "title: [A Toy Paper"))
    result = build(frozen, code=2)
    assert f"{index}:2: invalid YAML" in result.err, result.err
    assert snapshot(frozen / "_site") == site
    assert {p.name: p.read_bytes() for p in state.glob("*.json")} == records
    index.write_text(good.replace("fits a line", "fits a mended line"))
    assert QUICK in build(frozen).err
    same_as_cold(frozen)


def test_other_settings_are_not_a_prose_edit(frozen: Path) -> None:
    build(frozen)
    edit(frozen / ALPHA / "index.md", "fits a line", "fits a drafted line")
    result = build(frozen, "--drafts")
    assert QUICK not in result.err and "mlcollage: published" in result.err


def test_a_build_killed_between_its_swap_and_its_record_is_not_trusted(
        frozen: Path, monkeypatch) -> None:
    """The live folder then holds the new site and the record the old one's: the next build
    must not link the record's files from it (here: the edit reverted)."""
    from mlcollage.state import BuildState

    build(frozen)
    index = frozen / ALPHA / "index.md"
    good = index.read_text()
    edit(index, "fits a line", "fits a killed line")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(BuildState, "commit", killed)
    with pytest.raises(KeyboardInterrupt):
        build(frozen)
    monkeypatch.undo()
    assert "fits a killed line" in (frozen / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    index.write_text(good)  # back to the recorded text
    build(frozen)
    same_as_cold(frozen)


def test_the_changed_files_are_named_by_the_listed_stat(frozen: Path) -> None:
    from mlcollage.options import Options
    from mlcollage.state.manifest import build_settings, listed_fingerprints

    build(frozen)
    opts = Options(project=frozen)
    settings = build_settings(opts)
    listed = listed_fingerprints(frozen, opts.out_dir, settings, False)
    assert listed is not None and listed.whole and listed.changed == ()
    edit(frozen / BETA / "index.md", "---\n", "---\n\n")
    edit(frozen / ALPHA / "index.md", "fits a line", "fits a listed line")
    listed = listed_fingerprints(frozen, opts.out_dir, settings, False)
    assert listed is not None and listed.whole
    assert sorted(listed.changed) == [ALPHA + "/index.md", BETA + "/index.md"]
    other = listed_fingerprints(frozen, opts.out_dir, {**settings, "drafts": True}, False)
    assert other is not None and other.changed is None  # hashed with other settings: unknown
    walked = json.loads((frozen / ".mlcollage/inputs.json").read_text())
    assert all("stats" in entry and "head" in entry for entry in walked.values())


def test_a_file_rewritten_in_the_builds_clock_tick_is_built_again(frozen: Path) -> None:
    """Same size and mtime as the build saw, other bytes (rewritten within the file system's
    timestamp tick): the check compares it by content, and builds."""
    build(frozen)
    index = frozen / ALPHA / "index.md"
    edit(index, "fits a line", "fits a ABCD line")
    mtime = time.time_ns() + 50_000_000  # inside the coming build's racy window, however slow
    os.utime(index, ns=(mtime, mtime))  # the machine (its window ends 100 ms after it ends)
    build(frozen)
    edit(index, "fits a ABCD line", "fits a WXYZ line")
    os.utime(index, ns=(mtime, mtime))
    result = build(frozen)
    assert "nothing changed" not in result.err
    assert "fits a WXYZ line" in (frozen / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    same_as_cold(frozen)


def test_after_a_failed_run_a_prose_edit_builds_in_full_and_runs_it_again(frozen: Path) -> None:
    """A full build runs a failed experiment again; a prose edit must not skip that."""
    script = frozen / ALPHA / "experiment.py"
    script.write_text(script.read_text().replace(
        "def run(", "def run(*a, **k):\n    raise RuntimeError('boom')\n\n\ndef _unused(", 1))
    first = build(frozen, "--keep-going")  # published, the failure shown on the page
    assert "boom" in first.err and "failed" in first.err
    page = frozen / "_site/2020-01/alpha-2019-toy/index.html"
    assert "Experiment failed" in page.read_text()
    edit(frozen / ALPHA / "index.md", "fits a line", "fits a prose-only line")
    result = build(frozen, "--keep-going")
    assert QUICK not in result.err and "boom" in result.err, result.err  # it ran again
    assert "fits a prose-only line" in page.read_text()


def test_a_snapshot_is_read_only_by_the_code_that_made_it(frozen: Path) -> None:
    import pickle

    from mlcollage.options import Options
    from mlcollage.state import SNAPSHOT, BuildState

    build(frozen)
    opts = Options(project=frozen)
    state = BuildState.open(opts, {})
    assert state.read_snapshot(opts) is not None
    path = frozen / ".mlcollage" / SNAPSHOT
    data = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps({**data, "code": "another version"}))
    assert state.read_snapshot(opts) is None  # its classes and page keys may not be these
    path.write_bytes(pickle.dumps({**data, "token": "another build"}))
    assert state.read_snapshot(opts) is None
    path.write_bytes(b"not a pickle")
    assert state.read_snapshot(opts) is None
    edit(frozen / ALPHA / "index.md", "fits a line", "fits an unsnapshotted line")
    result = build(frozen)
    assert QUICK not in result.err and "mlcollage: published" in result.err
    same_as_cold(frozen)


def test_prose_edits_in_both_languages_of_a_two_language_site(tmp_path: Path) -> None:
    from helpers import I18N_OVERLAY, make_project
    from regenerate import golden_project

    project = golden_project(make_project(tmp_path / "two", overlay=I18N_OVERLAY))
    zh = project / ALPHA / "index.zh-CN.md"  # its summary is short: the slide shows all of it,
    append(zh, "\n\n" + "长" * 800)  # so it grows past the slide's 700 characters first
    build(project)  # (and draws the Chinese slides the frozen figures lack)
    for i, rel in enumerate([ALPHA + "/index.zh-CN.md", ALPHA + "/index.md",
                             "site_src/2020-01/index.zh-CN.md"]):
        append(project / rel, f"Edit number {i}.")
        result = build(project)
        assert QUICK in result.err, (rel, result.err)
        assert f"Edit number {i}." in "".join(
            p.read_text() for p in (project / "_site").rglob("*.html")), rel
        same_as_cold(project, f"cold{i}")
