"""An edit costs what it changes (issue 26): which files a rebuild rewrites, the link check of
unchanged pages skipped only while no file came or went, and serve's rebuild from the paths its
watcher reported (no look at the other files)."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from mlcollage.content import load as content
from mlcollage.options import Options
from mlcollage.render.links import is_relative, targets

from helpers import ALPHA, build, run_cli, snapshot

BETA = "site_src/2020-01/beta-2018-second"


def inodes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*")
            if p.is_file()}


def rewritten(project: Path, rel: str, old: str, new: str) -> set[str]:
    """Edit ``rel`` in place, rebuild; the output files that are new files (an unchanged file
    is a hard link to the last build's, so it keeps its inode)."""
    site = project / "_site"
    before = inodes(site)
    path = project / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    build(project)
    after = inodes(site)
    return {rel for rel, ino in after.items() if before.get(rel) != ino} - {".mlcollage-site"}


def test_prefilter_keeps_every_relative_target() -> None:
    urls = ["notes.txt", "../x/y.png#a", "a?b=1", "HTTP://x.org/a", "https://x.org", "mailto:a@b",
            "/abs", "#frag", "", "?q", "data:image/png;base64,xx", "ftp://h/f", "//host/p",
            "Https:relative-looking", "sub/dir/"]
    html = "".join(f'<a href="{u}">x</a> <img src="{u}">' for u in urls)
    want = [urlsplit(u).path for u in urls for _ in (0, 1) if is_relative(u)]
    assert targets(html) == want and "notes.txt" in want and "sub/dir/" in want


def test_summary_edit_rewrites_its_pages_only(frozen: Path) -> None:
    build(frozen)
    got = rewritten(frozen, ALPHA + "/index.md", "fits a line", "fits a straight line")
    # its page, its month, its year's search file and the search index naming that file's new
    # version; not the home page, the feed or a tag page (they show cards and titles, not the
    # summary), not the sitemap (no page came or went)
    assert got == {"2020-01/alpha-2019-toy/index.html", "2020-01/index.html",
                   "search/2020.js", "search/index.js"}, got


def test_card_and_tag_edits_rewrite_the_tag_pages_they_change(frozen: Path) -> None:
    build(frozen)
    text = (frozen / ALPHA / "index.md").read_text()
    tags = text.split("tags: [", 1)[1].split("]", 1)[0].split(", ")
    got = rewritten(frozen, ALPHA + "/index.md", "title: A Toy Paper", "title: A Retitled Toy Paper")
    assert {f"tags/{t}/index.html" for t in tags} <= got  # the card shows the title
    assert "tags/index.html" not in got and "sitemap.xml" not in got
    got = rewritten(frozen, ALPHA + "/index.md", f"tags: [{', '.join(tags)}]",
                    f"tags: [{', '.join(tags)}, edited]")
    assert {"tags/index.html", "tags/edited/index.html", "sitemap.xml"} <= got  # a new page
    cold = frozen / "cold"
    build(frozen, "--no-cache", "--out", cold)
    assert snapshot(frozen / "_site") == snapshot(cold)


def test_template_and_site_yaml_edits_still_rebuild_every_page(frozen: Path) -> None:
    build(frozen)
    pages = {rel for rel in inodes(frozen / "_site") if rel.endswith(".html")}
    got = rewritten(frozen, "templates/_footer.html", "</footer>", "<p>edited</p></footer>")
    assert pages - {"404.html"} <= got
    got = rewritten(frozen, "site_src/site.yaml", "title: ", "title: Edited ")
    assert pages <= got


def test_unchanged_text_whose_link_target_went_away_is_reported(frozen: Path) -> None:
    """The link check skips the texts of pages the last build rendered alike only while no
    output file came or went: a removed file breaks an unchanged summary's link."""
    beta = frozen / BETA / "index.md"
    beta.write_text(beta.read_text() + "\nSee the [notes](../alpha-2019-toy/notes.txt).\n")
    build(frozen)
    (frozen / ALPHA / "notes.txt").unlink()
    result = build(frozen, code=2)
    assert f"{beta}:" in result.err and "../alpha-2019-toy/notes.txt" in result.err


def test_serve_rebuild_reads_only_the_changed_paths(frozen: Path, monkeypatch) -> None:
    """With the build state in memory and the watcher's paths, a rebuild parses only the
    edited paper and the site equals a cold build; a path it is not told of is not looked at."""
    from mlcollage.pipeline import build_site
    from mlcollage.state import BuildState

    opts = dataclasses.replace(Options(project=frozen), out=frozen / "served", verbosity=-1)
    state = BuildState.open(opts, {}, in_memory=True)
    build_site(opts, state=state)
    parsed: list[str] = []
    real = content._load_paper
    monkeypatch.setattr(content, "_load_paper",
                        lambda folder, month, col: parsed.append(folder.name) or real(folder,
                                                                                      month, col))
    alpha, beta = frozen / ALPHA / "index.md", frozen / BETA / "index.md"
    alpha.write_text(alpha.read_text().replace("fits a line", "fits a bent line"))
    hour_ago = alpha.stat().st_mtime_ns - 3600 * 10**9  # past the racy window: memoised
    os.utime(alpha, ns=(hour_ago, hour_ago))
    beta.write_text(beta.read_text() + "\nUnseen sentence qq7.\n")  # the watcher did not say
    os.utime(beta, ns=(1, 1))  # even an old mtime: not looked at
    state.changed = frozenset({str(alpha)})
    build_site(opts, state=state)
    assert parsed == ["alpha-2019-toy"]
    paper = (frozen / "served/2020-01/alpha-2019-toy/index.html").read_text()
    assert "fits a bent line" in paper
    assert "qq7" not in (frozen / "served/2020-01/beta-2018-second/index.html").read_text()
    state.changed = frozenset({str(beta)})
    build_site(opts, state=state)
    assert parsed == ["alpha-2019-toy", "beta-2018-second"]
    assert not (frozen / ".mlcollage/manifest.pickle").exists()  # serve records nothing
    cold = run_cli("build", "-C", frozen, "--no-cache", "--out", frozen / "cold")
    assert cold.code == 0, cold.err
    assert snapshot(frozen / "served") == snapshot(frozen / "cold")


def test_noop_check_sees_a_replaced_figures_file(frozen: Path) -> None:
    build(frozen)
    assert "nothing changed" in build(frozen).err
    key = next((frozen / "figures").rglob("slide.json"))
    tmp = key.with_name("slide.json.new")
    tmp.write_bytes(key.read_bytes())
    os.replace(tmp, key)  # how mlcollage and git write there: a new file, the folder's mtime moves
    assert "nothing changed" not in build(frozen).err
    assert "nothing changed" in build(frozen).err


def test_temp_files_are_searched_only_after_a_killed_build(frozen: Path, monkeypatch) -> None:
    from mlcollage import pipeline
    from mlcollage.files import TEMP_SUFFIX
    from mlcollage.state.lock import LOCK

    searched: list[Path] = []
    real = pipeline.remove_temp_files
    monkeypatch.setattr(pipeline, "remove_temp_files", lambda f: searched.append(f) or real(f))
    opts = dataclasses.replace(Options(project=frozen), verbosity=-1)
    pipeline.build_site(opts)
    assert searched == [frozen / "figures"]  # no lock file yet: nothing says the last one ended
    searched.clear()
    alpha = frozen / ALPHA / "index.md"
    alpha.write_text(alpha.read_text().replace("fits a line", "fits a neat line"))
    pipeline.build_site(opts)
    assert searched == []  # the last build released its lock: it left no temp file
    leftover = next((frozen / "figures").rglob("slide.json")).with_name(f".x{TEMP_SUFFIX}")
    leftover.write_text("half")
    (frozen / ".mlcollage" / LOCK).write_text("build pid 1 since 00:00:00\n")  # killed holder
    pipeline.build_site(opts)
    assert searched == [frozen / "figures"] and not leftover.exists()


def test_serve_quick_rebuild_equals_a_cold_build(frozen: Path) -> None:
    """serve's quick rebuild of prose edits (a summary, a month's outro) writes only their
    pages and leaves the served folder byte-equal to a cold build; an edit outside it (a title:
    its slide is redrawn; a new tag; a file added or removed) is refused with nothing served
    written, and the full rebuild after it is byte-equal too."""
    from mlcollage.pipeline import build_site
    from mlcollage.quick import quick_rebuild
    from mlcollage.state import BuildState

    opts = dataclasses.replace(Options(project=frozen), out=frozen / "served", verbosity=-1)
    state = BuildState.open(opts, {}, in_memory=True)
    build_site(opts, state=state)
    served = frozen / "served"

    def cold() -> dict[str, bytes]:
        shutil.rmtree(frozen / "cold", ignore_errors=True)
        result = run_cli("build", "-C", frozen, "--no-cache", "--out", frozen / "cold")
        assert result.code == 0, result.err
        return snapshot(frozen / "cold")

    def edit(rel: str, old: str, new: str) -> dict[str, str]:
        path = frozen / rel
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new, 1))
        return {str(path): "modified"}

    alpha, month = f"{ALPHA}/index.md", "site_src/2020-01/index.md"
    def written(changes: dict[str, str]) -> set[str]:
        before = inodes(served)
        assert quick_rebuild(opts, state, changes)
        return {rel for rel, ino in inodes(served).items() if before.get(rel) != ino}

    assert written(edit(alpha, "fits a line", "fits a bent line")) == {  # not home, tags, feed
        "2020-01/alpha-2019-toy/index.html", "2020-01/index.html", "search/2020.js",
        "search/index.js"}
    assert written(edit(month, "The outro.", "The outro, edited.")) == {  # searched too
        "2020-01/index.html", "search/2020.js", "search/index.js"}
    assert "fits a bent line" in (served / "2020-01/alpha-2019-toy/index.html").read_text()
    assert snapshot(served) == cold()
    assert quick_rebuild(opts, state, edit(alpha, "fits a bent line", "fits a bent line (v3)"))
    before = snapshot(served)
    title = edit(BETA + "/index.md", "title: ", "title: Retitled ")
    assert not quick_rebuild(opts, state, title)  # the slide shows the title: drawn, not quick
    assert snapshot(served) == before
    state.changed = frozenset(title)
    build_site(opts, state=state)
    assert "Retitled" in (served / "index.html").read_text()
    assert snapshot(served) == cold()

    before = snapshot(served)
    tagged = edit(alpha, "tags: [", "tags: [brand-new-tag, ")  # a tag page comes
    assert not quick_rebuild(opts, state, tagged)
    added = frozen / BETA / "notes.txt"
    added.write_text("a file beside the paper\n")
    assert not quick_rebuild(opts, state, tagged | {str(added): "added"})
    gone = {str(frozen / month): "deleted"}
    assert not quick_rebuild(opts, state, gone)
    assert snapshot(served) == before  # refused: nothing written
    state.changed = frozenset(tagged)
    build_site(opts, state=state)
    assert (served / "tags/brand-new-tag/index.html").is_file()
    assert snapshot(served) == cold()
