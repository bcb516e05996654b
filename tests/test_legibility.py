"""Legibility rules: each rule fires on a figure that breaks it and stays quiet on its fix."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from test_draw import slide

from mlcollage.draw import layout
from mlcollage.draw.legibility import MIN_PT, check_figure
from mlcollage.experiment import Panel

from helpers import REPO


def figure():
    fig = Figure(figsize=(19.2, 10.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.4, 0.4))
    ax.set_title("Demo", loc="left")
    return fig, ax


def findings(fig, cells=None) -> list[str]:
    return check_figure(fig, cells)


def test_a_clean_figure_has_no_findings() -> None:
    fig, ax = figure()
    ax.plot([0, 1], [0, 1], label="diagonal")
    ax.legend(loc="upper left")
    ax.set(xlabel="x", ylabel="y")
    assert findings(fig) == []


@pytest.mark.parametrize("size,flagged", [(6, True), (MIN_PT - 1, True), (MIN_PT, False), (12, False)])
def test_small_type(size: float, flagged: bool) -> None:
    fig, ax = figure()
    ax.text(0.5, 0.5, "inset note", fontsize=size, transform=ax.transAxes)
    found = [f for f in findings(fig) if "'inset note'" in f]
    assert bool(found) == flagged
    if flagged:
        assert found == [f"panel 'Demo': text 'inset note' is {size:g} pt; expected at least "
                         f"{MIN_PT:g} pt (readable on the 960 px thumbnail)"]


def test_small_type_is_measured_at_1920_wide() -> None:
    """A figure drawn at half the size has half the type once the slide is shown 1920 wide."""
    fig = Figure(figsize=(9.6, 5.4), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, "note", fontsize=6)  # 6 pt on a 960 px figure: 12 pt at 1920
    assert not [f for f in findings(fig) if "pt;" in f]
    fig.texts[0].set_fontsize(4)
    assert [f for f in findings(fig) if "'note' is 8 pt" in f]


def test_single_labelled_log_tick() -> None:
    fig, ax = figure()
    ax.plot([1, 2, 3], [0.6, 2, 4])
    ax.set_yscale("log")
    ax.set_ylim(0.5, 5)
    ax.yaxis.set_minor_formatter(NullFormatter())
    assert [f for f in findings(fig) if "log y axis has 1 labelled tick" in f]
    ax.set_ylim(0.5, 50)
    assert not [f for f in findings(fig) if "log y axis" in f]


def test_legend_over_data() -> None:
    fig, ax = figure()
    ax.plot([0, 1], [0.95, 0.95], label="flat")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    assert findings(fig) == ["panel 'Demo': the legend covers data ('flat'); expected it beside "
                             "the data (another corner, outside the axes, or more head room)"]
    ax.legend(loc="lower right")
    assert findings(fig) == []


def test_legend_over_scatter_points_and_bars() -> None:
    fig, ax = figure()
    ax.bar([0, 1, 2], [1, 1, 1], label="bars")
    ax.legend(loc="upper right")
    assert [f for f in findings(fig) if "legend covers data ('bars')" in f]
    fig, ax = figure()
    ax.scatter([0.97], [0.97], label="dots")
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper right")
    assert [f for f in findings(fig) if "legend covers data ('dots')" in f]


def test_grid_over_image() -> None:
    fig, ax = figure()
    ax.imshow(np.zeros((4, 4)))
    ax.grid(True)
    assert findings(fig) == ["panel 'Demo': grid lines are drawn over an image; expected "
                             "`ax.grid(False)` on image axes"]
    ax.grid(False)
    assert findings(fig) == []


def test_overlapping_texts() -> None:
    fig, _ = figure()
    fig.text(0.6, 0.8, "first label", fontsize=14)
    fig.text(0.61, 0.8, "second label", fontsize=14)
    assert findings(fig) == ["slide: texts 'first label' and 'second label' overlap"]


def test_text_off_the_slide_and_outside_its_panel() -> None:
    fig, ax = figure()
    fig.text(0.97, 0.5, "a caption that runs past the right edge", fontsize=14)
    ax.text(1.3, 0.5, "far right", transform=ax.transAxes)
    cell = (0.05, 0.05, 0.5, 0.5)
    assert findings(fig, {ax: cell}) == [
        "slide: text 'a caption that runs past the right edge' runs off the slide",
        "panel 'Demo': text 'far right' runs outside its panel",
    ]


def test_cut_label_and_a_y_label_longer_than_its_axis() -> None:
    fig = Figure(figsize=(19.2, 10.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.3, 0.1))
    ax.set_title("Short", loc="left")
    ax.set_ylabel("a y-label far longer than this axis is tall")
    ax.text(0.9, 0.5, "clipped words", transform=ax.transAxes, clip_on=True)
    assert findings(fig) == [
        "panel 'Short': text 'clipped words' is cut by its axes",
        "panel 'Short': y-label 'a y-label far longer than this axis is …' is longer than "
        "its axis (it runs above the panel title); expected a shorter label",
    ]


def test_inset_findings_name_their_panel() -> None:
    fig, ax = figure()
    ins = ax.inset_axes([0.1, 0.6, 0.3, 0.3])
    ins.set_xlabel("draws N", fontsize=6)
    assert [f for f in findings(fig) if f.startswith("panel 'Demo' (inset): text 'draws N' is 6")]


def draw_careless(ax) -> None:
    """What an experiment might draw: tiny type, a grid over an image, a long y-label."""
    ax.imshow(np.arange(16.0).reshape(4, 4))
    ax.grid(True)
    ax.text(0.5, 0.5, "tiny", fontsize=5, transform=ax.transAxes)
    ax.set_ylabel("a y-label that is much longer than the panel is tall, surely")
    ax.tick_params(labelsize=6)


def test_the_slide_layout_floors_type_and_clears_grids_under_any_panel() -> None:
    fig = layout.draw_slide(slide(), [Panel("Careless", draw_careless)])
    found = check_figure(fig, fig.mlcollage_cells)
    assert not [f for f in found if " pt;" in f or "grid" in f], found
    ax = next(iter(fig.mlcollage_cells))
    assert ax.texts[0].get_fontsize() == MIN_PT
    assert not [g for g in ax.get_xgridlines() if g.get_visible()]


def draw_flat_lines(levels):
    def draw(ax) -> None:
        for y in levels:
            ax.plot([0, 1], [y, y], label=f"at {y}")
        ax.set_ylim(0, 1)
        ax.legend(loc="upper right")
    return draw


@pytest.mark.parametrize(("levels", "moved", "raised"), [
    ((0.95,), True, False),  # another corner is clear: the legend moves there
    ((0.05, 0.5, 0.95), False, True),  # every corner covers a line: head room above the data
])
def test_the_slide_clears_a_legend_that_covers_data(levels, moved, raised) -> None:
    fig = layout.draw_slide(slide(), [Panel("Flat", draw_flat_lines(levels))])
    ax = next(iter(fig.mlcollage_cells))
    assert not [f for f in check_figure(fig, fig.mlcollage_cells) if "legend" in f]
    assert (ax.get_legend()._loc != 1) is moved  # 1: 'upper right'
    assert bool(ax.get_ylim()[1] > 1) is raised


FEBRUARY = sorted(p.name for p in (REPO / "site_src/2021-02").iterdir() if p.is_dir())


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("slug", FEBRUARY)
def test_february_slides_pass_the_rules(slug: str, lang: str) -> None:
    """Redraw a committed February slide from its frozen results (no run) and check it, in
    each of the digest's languages (the panels' room changes with the column's text)."""
    from mlcollage.content.load import load
    from mlcollage.draw import step
    from mlcollage.i18n import catalog
    from mlcollage.model import series_numbers
    from mlcollage.options import Options
    from mlcollage.run.plan import frozen_outcomes
    from mlcollage.run.store import Store

    opts = Options(project=REPO)
    site = load(opts)
    store = Store(opts.figures)
    outcome = frozen_outcomes(site, store, "full")[slug]
    lang_site = next(s for s in site.languages() if s.lang == lang)
    paper = next(p for p in lang_site.papers if p.slug == slug)
    seeds = tuple(store.run_folder(paper, s, "full", i == 0) for i, s in enumerate(outcome.seeds))
    inp = step._input(paper, outcome, series_numbers(site)[slug], site.config.series, seeds[0],
                      lambda md: md, seeds, catalog(lang, REPO))
    _, warnings = step.draw_figure(inp)
    assert warnings == []


def test_an_axes_turned_off_shows_no_ticks_to_check() -> None:
    fig, ax = figure()
    ax.set_yscale("log")
    ax.set_ylim(2, 3)  # no labelled tick at all, but nothing of the axis is drawn
    ax.tick_params(labelsize=5)
    ax.axis("off")
    assert findings(fig) == []
