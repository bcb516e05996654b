"""Keys that last: an upgrade keeps frozen results current; a new paper re-keys no older slide."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlcollage.run import store as store_module
from mlcollage.state import keys

from helpers import DATA, build, make_project, ran, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project with its frozen results, built once (slides drawn)."""
    project = make_project(tmp_path_factory.mktemp("keys") / "proj")
    shutil.rmtree(project / "figures")
    shutil.copytree(DATA / "figures", project / "figures")
    build(project, "--no-run", "-j", "1")
    return project


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(built, dest)
    return dest


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_version_bump_keeps_results_current_and_check_names_it(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = keys.versions()
    bumped = installed | {"mlcollage": "99.0.0"}
    monkeypatch.setattr(store_module, "versions", lambda: bumped)
    before = files(copy / "figures")
    result = build(copy, "--no-run", "--no-cache", "-j", "1")
    assert not ran(result)
    assert files(copy / "figures") == before  # nothing re-run, nothing redrawn
    check = run_cli("check", "-C", copy)
    assert check.code == 0, check.err
    notes = [line for line in check.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 2  # one per paper with an experiment
    assert all(f"mlcollage {installed['mlcollage']} -> 99.0.0" in n for n in notes), notes
    assert "alpha-2019-toy" in notes[0] or "alpha-2019-toy" in notes[1]
    # ... and on purpose, the flag re-runs exactly those (here: refused, nothing may run)
    refused = build(copy, "--no-run", "--rerun-stale-versions", code=1)
    assert "alpha-2019-toy" in refused.err and "gamma-2019-old" in refused.err


def test_an_unchanged_install_has_no_version_note(copy: Path) -> None:
    check = run_cli("check", "-C", copy)
    assert check.code == 0 and "note:" not in check.err, check.err


def test_rekey_rewrites_only_the_key_of_results_that_were_current(copy: Path) -> None:
    from mlcollage.content.load import load
    from mlcollage.options import Options
    from mlcollage.run.rekey import rekey
    from mlcollage.run.store import Store, result_key_v1

    opts = Options(project=copy)
    site = load(opts)
    paper = next(p for p in site.papers if p.slug == "alpha-2019-toy")
    path = copy / "figures/2020-01/alpha-2019-toy/result.json"
    record = json.loads(path.read_text())
    versions = {k: record["provenance"]["versions"][k] for k in ("mlcollage", "torch", "numpy")}
    current_key = record["key"]
    record["key"] = result_key_v1(paper.experiment, 0, "full", None, versions)  # as format 1 had it
    path.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    seed1 = copy / "figures/2020-01/alpha-2019-toy/seed-1/result.json"
    stale = json.loads(seed1.read_text()) | {"key": "0" * 64}  # stale before the change
    seed1.write_text(json.dumps(stale, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    done = rekey(site, Store(opts.figures), "full")
    assert done.rewritten == ["alpha-2019-toy seed 0"]
    assert done.stale == ["alpha-2019-toy seed 1"]
    assert json.loads(path.read_text()) == record | {"key": current_key}


def paper(folder: Path, title: str) -> None:
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(f"---\ntitle: {title}\nauthors: [A Author]\nyear: 2020\n---\nT.\n")


def test_a_paper_added_later_redraws_no_earlier_slide(copy: Path) -> None:
    figures = copy / "figures"
    before = files(figures)
    # a third paper in the latest month (January 2020): only its slide set and January's PDF
    paper(copy / "site_src/2020-01/omega-2020-third", "Third")
    build(copy, "--no-run", "-j", "1")
    after = files(figures)
    changed = {k for k, v in after.items() if before.get(k) != v}
    assert changed == {
        *(f"2020-01/omega-2020-third/{n}" for n in
          ("slide.png", "slide.pdf", "card.png", "thumb-480.webp", "thumb-960.webp", "slide.json")),
        "2020-01/digest.pdf", "2020-01/digest.json",
    }
    # a paper in a later month of the same year: every earlier file stays as it was
    (copy / "site_src/2020-03").mkdir()
    (copy / "site_src/2020-03/index.md").write_text("---\ntitle: March\ndate: 2020-03-31\n---\n")
    paper(copy / "site_src/2020-03/zeta-2020-later", "Later")
    build(copy, "--no-run", "-j", "1")
    later = files(figures)
    assert {k: v for k, v in later.items() if not k.startswith("2020-03/")} == after
    assert "2020-03/zeta-2020-later/slide.png" in later


def test_list_filters_and_verbosity(copy: Path) -> None:
    """`list` with its filters; `-q` leaves only warnings and errors, `-v` says each run's key."""
    draft = copy / "site_src/2020-01/delta-2020-draft"
    paper(draft, "Draft")
    (draft / "index.md").write_text((draft / "index.md").read_text().replace(
        "year: 2020\n", "year: 2020\ndraft: true\n"))
    (copy / "site_src/2099-01").mkdir()
    (copy / "site_src/2099-01/index.md").write_text("---\ntitle: Later\ndate: 2099-01-31\n---\n")
    paper(copy / "site_src/2099-01/omega-2099-future", "Future")
    alpha = copy / "site_src/2020-01/alpha-2019-toy/experiment.py"
    alpha.write_text(alpha.read_text() + "\n# an edit: its results are stale now\n")

    def slugs(*flags: str) -> list[str]:
        result = run_cli("list", "-C", copy, *flags)
        assert result.code == 0, result.err
        return [line.split()[1] for line in result.out.splitlines()]

    assert slugs() == ["gamma-2019-old", "beta-2018-second", "alpha-2019-toy"]
    assert slugs("--drafts") == ["delta-2020-draft"]
    assert slugs("--future") == ["omega-2099-future"]
    assert slugs("--stale") == ["alpha-2019-toy"]
    assert slugs("--drafts", "--stale") == ["alpha-2019-toy", "delta-2020-draft"]
    alpha.write_text(alpha.read_text().replace("\n# an edit: its results are stale now\n", ""))
    quiet = build(copy, "--no-run", "-q", "-j", "1")
    assert quiet.out == ""  # a notice (the future digest left out) is never silenced
    assert [line.split(":")[0] for line in quiet.err.splitlines()] == ["notice"], quiet.err
    loud = build(copy, "--no-run", "-v", "-j", "1")
    assert "alpha-2019-toy seed 0 (full): current, key " in loud.err


def test_version_and_completion() -> None:
    from mlcollage.state.keys import versions

    version = run_cli("--version")
    assert version.code == 0 and version.out.strip() == f"mlcollage {versions()['mlcollage']}"
    completion = run_cli("--print-completion", "bash")
    assert completion.code == 0 and "_shtab_mlcollage" in completion.out
    assert "--rerun-stale-versions" in completion.out  # generated from the parser itself
