"""The build: load -> run -> draw -> render -> publish -> commit. Each step is its own package."""

from __future__ import annotations

from mlcollage.content.load import load
from mlcollage.draw.step import draw_step
from mlcollage.files import remove_temp_files
from mlcollage.model import Site
from mlcollage.options import Options
from mlcollage.render.markdown import Markup
from mlcollage.render.pages import markdown_texts, read_templates, render_step
from mlcollage.render.publish import check_output, publish_step
from mlcollage.run.step import run_step
from mlcollage.run.store import Store
from mlcollage.state import BuildState
from mlcollage.state.lock import build_lock
from mlcollage.state.manifest import build_settings


def build_site(
    opts: Options,
    extra_head: str = "",
    defer_runs: bool = False,
    fingerprints: tuple[str, str] | None = None,
    state: BuildState | None = None,
    held: bool | None = None,
) -> Site:
    """Build the site into ``opts.out_dir``; the previous site stays unless everything succeeded.

    ``defer_runs`` (serve) renders stale experiments as running instead of running them;
    ``extra_head`` (serve) is injected into every page's <head>, never in a published build.
    ``fingerprints``: (sources, sources + figures) if the caller just took them (no-op check).
    ``state`` (serve): the build state kept in memory from the last rebuild
    (`BuildState.open(..., in_memory=True)`), with the paths changed since.
    ``held``: the caller holds the build lock already (`build`: its no-op check is under it);
    what `build_lock` yielded.
    """
    if held is not None:
        return _locked_build(held, opts, extra_head, defer_runs, fingerprints, state)
    with build_lock(opts.state_dir, "serve" if extra_head else "build",
                    create=opts.src.is_dir()) as clean:
        return _locked_build(clean, opts, extra_head, defer_runs, fingerprints, state)


def _locked_build(
    clean: bool, opts: Options, extra_head: str, defer_runs: bool,
    fingerprints: tuple[str, str] | None, state: BuildState | None,
) -> Site:
    if not clean:  # the last build was killed: remove its half-written files
        remove_temp_files(opts.figures)
    return _build(opts, extra_head, defer_runs, fingerprints, state)


def _build(
    opts: Options, extra_head: str, defer_runs: bool, fingerprints: tuple[str, str] | None,
    state: BuildState | None,
) -> Site:
    if state is None:  # .mlcollage/: memos, the last build
        state = BuildState.open(opts, build_settings(opts, extra_head, defer_runs), fingerprints)
    # gather: every input is read and checked, every result and slide made, before any write
    site = load(opts, state.loaded, state.changed)  # InputError: every problem at once, path:line
    read_templates(opts.theme)  # InputError: a template that is not UTF-8, before any run
    check_output(opts.out_dir)
    store = Store(opts.figures)
    md = Markup(memo=state.markdown)  # Markdown -> HTML, each text once across builds
    try:
        outcomes = run_step(site, opts, store, defer=defer_runs)  # BuildFailed per the policy
        if not state.last:  # a cold build's Markdown over the cores (an edit's is a text or two)
            md.convert_all(markdown_texts(site), opts.jobs)
        slides = draw_step(site, outcomes, store, opts, state.slide_keys, md)
    except BaseException:  # a worker that died in a write left its temp file
        remove_temp_files(opts.figures)
        raise
    pages = render_step(site, outcomes, slides, opts, state, md, extra_head)
    # write: the site swaps into place, then the build state records what it holds
    hashes, trees = publish_step(pages, site, slides, store, opts, state.last)
    figures_changed = slides.drawn > 0 or any(
        o.status not in ("cached", "stale") for o in outcomes.values())
    if figures_changed:  # a worker killed in a write (a timeout) left its temp file
        remove_temp_files(opts.figures)
    snapshot = (site, outcomes, slides)  # the next prose edit re-renders from this build
    state.commit(opts, hashes, pages.keys, trees, figures_changed=figures_changed,
                 snapshot=None if state.in_memory else snapshot)
    if state.in_memory:  # serve: kept in memory
        state.snapshot = snapshot
    return site
