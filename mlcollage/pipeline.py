"""The build: load -> run -> draw -> render -> publish -> commit. Each step is its own package."""

from __future__ import annotations

from mlcollage.content.load import load
from mlcollage.draw.step import draw_step
from mlcollage.model import Site
from mlcollage.options import Options
from mlcollage.render.markdown import Markup
from mlcollage.render.pages import render_step
from mlcollage.render.publish import check_output, publish_step
from mlcollage.run.step import run_step
from mlcollage.run.store import Store
from mlcollage.state import BuildState
from mlcollage.state.manifest import build_settings


def build_site(
    opts: Options,
    extra_head: str = "",
    defer_runs: bool = False,
    fingerprints: tuple[str, str] | None = None,
) -> Site:
    """Build the site into ``opts.out_dir``; the previous site stays unless everything succeeded.

    ``defer_runs`` (serve) renders stale experiments as running instead of running them;
    ``extra_head`` (serve) is injected into every page's <head>, never in a published build.
    ``fingerprints``: (sources, sources + figures) if the caller just took them (no-op check).
    """
    settings = build_settings(opts, extra_head, defer_runs)
    state = BuildState.open(opts, settings, fingerprints)  # .mlcollage/: memos, the last build
    # gather: every input is read and checked, every result and slide made, before any write
    site = load(opts, state.loaded)  # InputError: every problem at once, path:line
    check_output(opts.out_dir)
    store = Store(opts.figures)
    outcomes = run_step(site, opts, store, defer=defer_runs)  # BuildFailed per the policy
    md = Markup(memo=state.markdown)  # Markdown -> HTML, each text once across builds
    slides = draw_step(site, outcomes, store, opts, state.slide_keys, md)
    pages = render_step(site, outcomes, slides, opts, state, md, extra_head)
    # write: the site swaps into place, then the build state records what it holds
    hashes = publish_step(pages, site, slides, store, opts, state.last)
    state.commit(opts, hashes, pages.keys, figures_changed=slides.drawn > 0 or any(
        o.status not in ("cached", "stale") for o in outcomes.values()))
    return site
