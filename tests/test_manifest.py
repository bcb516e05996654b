"""The no-op check (issue 26): a stat of the files and folders the last build's walk found
gives the walk's own fingerprint while nothing changed, and sees every kind of change."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mlcollage.files import MARKER
from mlcollage.state import manifest

SETTINGS = {"quick": False, "drafts": False}
PAST = time.time_ns() - 3600 * 10**9  # an hour ago: clear of the racy window


def walked(project: Path, settings: dict = SETTINGS) -> str:
    return manifest.fingerprint(project, manifest.source_fingerprint(project, settings), False)


def age(project: Path) -> None:
    """Every file and folder as if written an hour ago (the recorded walk is then not racy)."""
    for path in [*project.rglob("*"), project]:
        os.utime(path, ns=(PAST, PAST))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for rel, text in {"site_src/site.yaml": "title: t\n", "site_src/2020-01/index.md": "m\n",
                      "site_src/2020-01/a/index.md": "a\n", "templates/base.html": "<p>\n",
                      "figures/2020-01/a/slide.json": "{}"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "_site").mkdir()
    (tmp_path / "_site" / MARKER).write_text("")
    (tmp_path / ".mlcollage").mkdir()
    age(tmp_path)
    return tmp_path


def record(project: Path) -> str:
    fp = walked(project)
    manifest.record(project, project / "_site", fp, {}, {})
    return fp


def check(project: Path, settings: dict = SETTINGS) -> manifest.Listed | None:
    return manifest.listed_fingerprints(project, project / "_site", settings, False)


def listed(project: Path, settings: dict = SETTINGS) -> str | None:
    found = check(project, settings)
    return found and found.fp


def later(path: Path) -> None:
    """Move ``path``'s mtime a second past the recorded one (a later clock tick)."""
    os.utime(path, ns=(PAST + 10**9, PAST + 10**9))


def test_listed_check_equals_the_walk_while_nothing_changed(project: Path) -> None:
    fp = record(project)
    assert listed(project) == fp == walked(project)
    assert manifest.up_to_date(project, project / "_site", listed(project))


def test_no_list_no_listed_check(project: Path) -> None:
    assert listed(project) is None  # no build recorded: walk


def edit_in_place(p: Path) -> None:
    f = p / "site_src/2020-01/a/index.md"
    f.write_text("b\n")  # same size
    later(f)


def add_file(p: Path) -> None:
    (p / "site_src/2020-01/a/fig.png").write_bytes(b"x")
    later(p / "site_src/2020-01/a")


def add_paper(p: Path) -> None:
    (p / "site_src/2020-01/b").mkdir()
    (p / "site_src/2020-01/b/index.md").write_text("b\n")
    later(p / "site_src/2020-01")


def remove_file(p: Path) -> None:
    (p / "site_src/2020-01/a/index.md").unlink()
    later(p / "site_src/2020-01/a")


def new_root(p: Path) -> None:
    (p / "i18n").mkdir()  # a root that was missing


def replace_figure(p: Path) -> None:
    (p / "figures/2020-01/a/slide.json.new").write_text("{}")
    os.replace(p / "figures/2020-01/a/slide.json.new", p / "figures/2020-01/a/slide.json")
    later(p / "figures/2020-01/a")


@pytest.mark.parametrize("change", [edit_in_place, add_file, add_paper, remove_file, new_root,
                                    replace_figure])
def test_listed_check_sees_every_change(project: Path, change: Callable[[Path], None]) -> None:
    fp = record(project)
    change(project)
    found = check(project)
    assert found is None or found.fp != fp
    assert walked(project) != fp  # the walk, which the build then does, agrees
    if found is not None and found.whole:  # no folder moved: the build takes these, no walk
        assert change is edit_in_place
        source = manifest.source_fingerprint(project, SETTINGS)
        assert (found.source_fp, found.fp) == (source, walked(project))
    else:
        assert change is not edit_in_place
    age(project)  # (what was just written is racy until then)
    new = record(project)
    assert listed(project) == new  # and the next no-op check is a stat again


def test_an_edit_in_place_is_recorded_without_a_walk(project: Path, monkeypatch) -> None:
    record(project)
    edit_in_place(project)
    found = check(project)
    assert found is not None and found.whole
    monkeypatch.setattr(manifest, "_list", lambda *a: pytest.fail("walked"))
    manifest.record(project, project / "_site", found.fp, {}, {})  # the walk it stands for
    assert listed(project) == found.fp


def test_listed_check_sees_a_setting_change(project: Path) -> None:
    fp = record(project)
    assert listed(project, {**SETTINGS, "drafts": True}) != fp


def test_a_folder_changed_about_when_the_walk_began_is_walked(project: Path) -> None:
    """An entry added in the same file-system clock tick as the walk need not move its
    folder's mtime: the folder's stat cannot be trusted, and the check lists again."""
    (project / "site_src/2020-01/b.md").write_text("b\n")
    soon = time.time_ns() + 50_000_000  # inside the coming walk's racy window, however slow
    os.utime(project / "site_src/2020-01", ns=(soon, soon))
    record(project)
    assert listed(project) is None


def test_a_file_changed_about_when_the_walk_began_is_compared_by_content(project: Path) -> None:
    """Rewritten in the walk's clock tick, a file can keep the size and mtime the walk saw: its
    content is compared with the hash the walk took of it."""
    f = project / "site_src/2020-01/a/index.md"
    f.write_text("a\n")
    mtime = time.time_ns() + 50_000_000  # inside the coming walk's racy window, however slow
    os.utime(f, ns=(mtime, mtime))
    fp = record(project)
    found = check(project)
    assert found is not None and found.trusted and found.fp == fp and found.changed == ()
    f.write_text("b\n")
    os.utime(f, ns=(mtime, mtime))  # same size and mtime, other bytes
    found = check(project)
    assert found is not None and found.fp == fp  # the stat cannot tell...
    assert not found.trusted and found.changed == ("site_src/2020-01/a/index.md",)  # ...this can


def test_versions_are_read_again_when_a_sys_path_folder_moved(project: Path,
                                                              monkeypatch) -> None:
    cached = manifest._versions()
    assert manifest._versions(cached) is cached  # nothing installed: no metadata read
    monkeypatch.setattr(manifest, "path_mtimes", lambda: {"/elsewhere": 1})
    fresh = manifest._versions(cached)
    assert fresh is not cached and fresh["paths"] == {"/elsewhere": 1}
    assert fresh["versions"] == cached["versions"]


def test_a_long_listing_is_stated_over_two_processes_alike(project: Path, monkeypatch) -> None:
    fp = record(project)
    serial = check(project)
    monkeypatch.setattr(manifest, "PARALLEL_STATS", 1)  # every listing is long
    forked = check(project)
    assert forked == serial and forked is not None and forked.fp == fp
    paths = ["site_src/site.yaml", "site_src/2020-01/a/index.md", "templates/base.html"]
    assert manifest._stat_numbers(project, paths) == manifest._stat_serial(project, paths)
    (project / "templates/base.html").unlink()  # in the child's half: gone, the check walks
    with pytest.raises(FileNotFoundError):
        manifest._stat_numbers(project, paths)
    assert check(project) is None


def test_what_a_build_wrote_before_it_stat_ed_figures_is_not_racy(project: Path) -> None:
    """A build walks the sources first and `figures/` at its end, after drawing: a folder it
    drew in between is no change in the clock tick of the figures' stat (each root has its
    own window), and the next check needs no walk."""
    source_fp = manifest.source_fingerprint(project, SETTINGS)
    time.sleep(0.25)
    (project / "figures/2020-01/b").mkdir()  # drawn: after the sources' stat, before figures'
    time.sleep(0.25)
    fp = manifest.fingerprint(project, source_fp, False)
    manifest.record(project, project / "_site", fp, {}, {})
    found = check(project)
    assert found is not None and found.fp == fp and found.whole


def test_the_manifest_is_read_once_and_again_after_another_write(project: Path) -> None:
    import pickle

    out = project / "_site"
    (project / ".mlcollage/manifest.json").write_text("{}")  # an older version's
    manifest.record(project, out, "fp1", {"a.html": "h1"}, {"a.html": "k1"})
    assert not (project / ".mlcollage/manifest.json").exists()
    first = manifest.read_manifest(project)
    assert manifest.read_manifest(project) is first  # kept: not unpickled again
    assert manifest.previous_build(project, out)["files"] == {"a.html": "h1"}
    path = manifest.manifest_path(project)
    data = pickle.loads(path.read_bytes())  # another process records a build
    data["builds"][str(out.absolute())]["files"] = {"a.html": "h2"}
    path.write_bytes(pickle.dumps(data))
    assert manifest.previous_build(project, out)["files"] == {"a.html": "h2"}
    path.write_bytes(path.read_bytes()[:40])  # cut short: no last build, not a crash
    assert manifest.previous_build(project, out) == {}
    assert first["builds"][str(out.absolute())]["files"] == {"a.html": "h1"}  # not changed
