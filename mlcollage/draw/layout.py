"""The one-slide collage: header, the experiment's panels, takeaways, checked claims, footer.

Everything on a slide comes from a `SlideInput` (picklable) and the stored result it names, so
drawing runs in worker processes and the same input always gives the same bytes.
"""

from __future__ import annotations

import glob
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlcollage.text import is_wide, shorten, venue_line

W, H, DPI = 1920, 1080, 100
STYLE = Path(__file__).with_name("collage.mplstyle")
INK, MUTED, ACCENT, OK, NO, PANEL_BG = (
    "#1f2933",
    "#52606d",
    "#2563a8",
    "#1e7a46",
    "#b42318",
    "#f3f5f8",
)
CJK_FONT_GLOBS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.otf",
]
FAMILIES = ["DejaVu Sans", "Noto Sans CJK JP"]
CJK_FAMILIES = {"zh": "Noto Sans CJK SC", "zh-TW": "Noto Sans CJK TC", "zh-HK": "Noto Sans CJK HK",
                "zh-Hant": "Noto Sans CJK TC", "ko": "Noto Sans CJK KR"}
"""The Noto CJK face whose glyph forms a language expects (Japanese forms otherwise)."""
SLIDE_MESSAGES = (
    "Takeaways", "Claims checked by our experiment", "No experiment yet", "failed", "stale",
    "%(heading)s (%(status)s)", "Claims appear here once the experiment has run.",
    "This paper has no reference experiment yet.", " — not tested against a control",
    " — %(control)s", " (%(k)d/%(n)d seeds)", " et al.",
)
"""The slide's fixed texts: `draw.step` gives their translations in `SlideInput.strings`."""


@dataclass(frozen=True)
class ClaimLine:
    statement: str
    reproduced: bool
    holds_in: int = 1
    n_seeds: int = 1
    control: str = ""
    """The compact control line: 'fails when ...', 'STILL HOLDS when ...', or '' (untested)."""
    control_failed: bool = False


@dataclass(frozen=True)
class SlideInput:
    """What a slide shows. ``script``/``run_folder`` name the experiment and its stored run."""

    title: str
    authors: tuple[str, ...]
    venue: str
    year: int
    series: str
    number: int
    """k of the slide's `SERIES [k]` header (0: the series name alone)."""
    takeaways: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    claims: tuple[ClaimLine, ...] = ()
    footer: str = "reproduced by mlcollage"
    summary: str = ""
    script: str = ""
    run_folder: str = ""
    seed_folders: tuple[str, ...] = ()
    """Every seed's stored run, first seed first: `panels(result, runs)` draws the spread."""
    status: str = ""
    figure: str = ""
    """The paper's own figure (an image file), drawn as the first panel; '' for none."""
    figure_title: str = ""
    figure_credit: str = ""
    lang: str = "en"
    strings: tuple[tuple[str, str], ...] = ()
    """Translations of `SLIDE_MESSAGES` in ``lang`` (a message missing here is English)."""


def tr(inp: SlideInput, message: str, **values: Any) -> str:
    """The slide's one lookup of a fixed text, in the slide's language."""
    text = dict(inp.strings).get(message, message)
    return text % values if values else text


def families(lang: str) -> list[str]:
    cjk = CJK_FAMILIES.get(lang) or CJK_FAMILIES.get(lang.split("-")[0])
    return [FAMILIES[0], cjk] if cjk else FAMILIES


# ---------------------------------------------------------------------------------------------
# fonts and text fitting


def setup_fonts() -> None:
    """DejaVu Sans first, Noto Sans CJK as fallback for CJK glyphs (when installed)."""
    import matplotlib
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for pattern in CJK_FONT_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if path not in known:
                font_manager.fontManager.addfont(path)
                known.add(path)
    matplotlib.rcParams["font.family"] = FAMILIES
    matplotlib.rcParams["svg.hashsalt"] = "mlcollage"


def _wrap(text: str, size: float, width_px: float) -> str:
    """Lines of ``text`` that fit ``width_px``: at spaces, and between any two CJK characters
    (not before closing punctuation such as '，' or '）'), counting a CJK character as 1 em."""
    em = size * DPI / 72
    if not any(is_wide(c) for c in text):
        per_line = max(8, int(width_px / (0.55 * em)))
        return "\n".join(textwrap.wrap(text, per_line, break_long_words=True)) or text
    lines, line, width = [], "", 0.0
    for token in _tokens(" ".join(text.split())):
        w = sum(em * (1.0 if is_wide(c) else 0.62) for c in token)
        if line and width + w > width_px and token[0] not in _NO_BREAK_BEFORE and token != " ":
            lines.append(line.rstrip())
            line, width = token.lstrip(), w
        else:
            line, width = line + token, width + w
    return "\n".join([*lines, line.rstrip()])


def _tokens(text: str) -> list[str]:
    """Each CJK character and each space alone; other runs (Latin words) whole."""
    out, word = [], ""
    for c in text:
        if c == " " or is_wide(c):
            out += [word, c] if word else [c]
            word = ""
        else:
            word += c
    return out + [word] if word else out


_NO_BREAK_BEFORE = set("，。、；：！？）」』】》〉”’,.;:!?)…")


def fit_text(
    fig: Any,
    text: str,
    box: tuple[float, float, float, float],
    max_size: float,
    min_size: float,
    **kw: Any,
) -> Any:
    """Draw ``text`` wrapped inside ``box`` (x, y, w, h in figure fractions), top-left anchored,
    shrinking the font until it fits; at the smallest size, drop lines and end with an ellipsis."""
    x, y, w, h = box
    renderer = fig.canvas.get_renderer()
    size = max_size
    artist = fig.text(x, y + h, "", va="top", ha="left", **kw)
    while True:
        artist.set_fontsize(size)
        artist.set_text(_wrap(text, size, w * W))
        ext = artist.get_window_extent(renderer)
        if (ext.width <= w * W + 1 and ext.height <= h * H + 1) or size <= min_size:
            break
        size = max(min_size, size - 1)
    lines = artist.get_text().split("\n")
    while len(lines) > 1 and artist.get_window_extent(renderer).height > h * H + 1:
        lines = lines[:-1]
        artist.set_text("\n".join(lines[:-1] + [lines[-1].rstrip() + " …"]))
    return artist


def _fit_list(
    fig: Any,
    items: list[tuple[str, str, str]],
    box: tuple[float, float, float, float],
    max_size: float,
    min_size: float,
) -> tuple[float, int]:
    """Bulleted items (mark, colour, text) in ``box``, one shared font size that fits them all;
    return the lowest point the kept items reach (figure fraction) and how many items did not
    fit even at ``min_size`` (and were left out)."""
    x, y, w, h = box
    renderer = fig.canvas.get_renderer()
    size = max_size
    while True:
        artists, top = [], y + h
        indent = 1.6 * size * DPI / 72 / W
        for mark, colour, text in items:
            m = fig.text(
                x, top, mark, va="top", ha="left", fontsize=size, color=colour, fontweight="bold"
            )
            t = fig.text(
                x + indent,
                top,
                _wrap(text, size, (w - indent) * W),
                va="top",
                ha="left",
                fontsize=size,
                color=INK,
                linespacing=1.25,
            )
            artists += [m, t]
            top -= t.get_window_extent(renderer).height / H + 0.6 * size * DPI / 72 / H
        widest = max((a.get_window_extent(renderer).x1 for a in artists), default=0) / W
        if (top >= y and widest <= x + w + 0.002) or size <= min_size:
            if top < y:  # at the smallest size: remove what does not fit
                dropped = 0
                for a in artists:
                    if a.get_window_extent(renderer).y0 / H < y:
                        dropped += a.get_text() not in ("", "•", "✓", "✗")
                        a.remove()
                kept = [a.get_window_extent(renderer).y0 / H for a in artists if a.figure]
                return min(kept, default=y + h), dropped
            return top, 0
        for a in artists:
            a.remove()
        size -= 1


# ---------------------------------------------------------------------------------------------
# layout


def authors_line(authors: tuple[str, ...], et_al: str = " et al.") -> str:
    return ", ".join(authors[:3]) + et_al if len(authors) > 3 else ", ".join(authors)


def short_link(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc.removeprefix("www.") + parts.path).rstrip("/") if parts.netloc else url


def panel_cells(n: int, box: tuple[float, float, float, float]) -> list[tuple[float, ...]]:
    """The rectangle each of n panels owns in ``box``: its axes, title, labels and credit."""
    x, y, w, h = box
    if n >= 5:  # the paper's figure beside four of ours: three columns, two rows
        return [(x + (i % 3) * w / 3, y + (1 - i // 3) * h / 2, w / 3, h / 2) for i in range(n)]
    if n <= 1:
        cells = [(x, y, w, h)]
    elif n == 2:
        cells = [(x, y, w / 2, h), (x + w / 2, y, w / 2, h)]
    elif n == 3:
        cells = [
            (x, y + h / 2, w / 2, h / 2),
            (x + w / 2, y + h / 2, w / 2, h / 2),
            (x, y, w, h / 2),
        ]
    else:
        cells = [(x + (i % 2) * w / 2, y + (1 - i // 2) * h / 2, w / 2, h / 2) for i in range(4)]
    return cells


def panel_rects(n: int, box: tuple[float, float, float, float]) -> list[tuple[float, ...]]:
    """Axes rectangles for n panels in ``box``, leaving room for titles and tick labels."""
    ml, mb, mt, mr = 0.052, 0.055, 0.05, 0.02  # figure fractions for labels and titles
    return [(cx + ml, cy + mb, cw - ml - mr, ch - mb - mt) for cx, cy, cw, ch in
            panel_cells(n, box)]


def draw_slide(inp: SlideInput, panels: list[Any] | None = None, caveat: str = "") -> Any:
    """The slide as a matplotlib Figure (no pyplot): header, body, right column, footer."""
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    setup_fonts()
    with matplotlib.style.context(str(STYLE)):
        matplotlib.rcParams["font.family"] = families(inp.lang)
        fig = Figure(figsize=(W / DPI, H / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.mlcollage_notes = []
        top = _draw_header(fig, inp)
        column = _draw_column(fig, inp, top)
        _draw_body(fig, inp, panels, caveat, top, column[0] - 0.045)
        _draw_footer(fig, inp)
        _clear_legends(fig)
    return fig


LEGEND_CORNERS = ("upper right", "upper left", "lower left", "lower right", "center right",
                  "center left", "upper center", "lower center")


def _clear_legends(fig: Any) -> None:
    """A legend inside its axes that covers data moves to the first corner where it covers
    none (the panels' sizes change with the language and the claims: a corner chosen for one
    slide can cover a line on another); where no corner is clear it stays, and the rules say
    so."""
    from mlcollage.draw.legibility import covered_by_legend

    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or legend.get_bbox_to_anchor() is not ax.bbox:
            continue  # outside the axes (anchored elsewhere): where the panel put it
        ax.get_xlim(), ax.get_ylim()  # the pending autoscale, as drawing would do it
        if not covered_by_legend(ax, renderer):
            continue
        original, limits = legend._loc, ax.get_ylim()  # noqa: SLF001 (no public getter)
        for corner in LEGEND_CORNERS:
            legend.set_loc(corner)
            if not covered_by_legend(ax, renderer):
                break
        else:
            if not _head_room(ax, legend, renderer):
                legend.set_loc(original)
                ax.set_ylim(limits)


def _head_room(ax: Any, legend: Any, renderer: Any) -> bool:
    """Raise the top of ``ax``'s y range (linear or log) until its legend, upper right, sits
    above the data; give up (False) past three legend heights."""
    from mlcollage.draw.legibility import covered_by_legend

    legend.set_loc("upper right")
    log = ax.get_yscale() == "log"
    for _ in range(3):
        share = legend.get_window_extent(renderer).height / max(ax.bbox.height, 1)
        lo, hi = ax.get_ylim()
        if log:
            import math

            span = math.log10(hi) - math.log10(lo)
            ax.set_ylim(lo, 10 ** (math.log10(hi) + span * share / (1 - share)))
        else:
            ax.set_ylim(lo, hi + (hi - lo) * share / (1 - share))
        if not covered_by_legend(ax, renderer):
            return True
    return False


TAKEAWAY_SIZES = (20, 18, 16, 14, 12)
COLUMN_WIDTHS = (0.285, 0.31, 0.335)
"""The right column's widths, narrowest first: it widens only when the claims need it."""


def _draw_column(fig: Any, inp: SlideInput, top: float) -> tuple[float, float]:
    """Takeaways, then the claims box in the room they leave: the takeaways' type gets smaller,
    then the column wider (the panels narrower), until every claim fits at `CLAIM_PT`; when no
    try gets there, the one with the largest claims' type (never under `MIN_PT`). A claim left
    out is a finding, never silent. Return the column's (x, width)."""
    from mlcollage.draw.legibility import MIN_PT

    texts, patches = len(fig.texts), len(fig.patches)
    tries = [(w, size) for w in COLUMN_WIDTHS for size in TAKEAWAY_SIZES]
    best: tuple[tuple[bool, float, int], int] | None = None
    for i, (width, size) in enumerate(tries):
        column = (COLUMN[0] + COLUMN[1] - width, width)
        below = _draw_takeaways(fig, inp, top, size, column)
        dropped = _draw_claims(fig, inp, below, column)
        claim_pt = fig.texts[-1].get_fontsize()
        score = (not dropped, min(claim_pt, CLAIM_PT), -i)
        if score[:2] == (True, CLAIM_PT):
            return column
        best = max(best or (score, i), (score, i))
        del fig.texts[texts:], fig.patches[patches:]  # plain lists on a Figure
    width, size = tries[best[1]]  # no try has every claim at CLAIM_PT: the largest type wins
    column = (COLUMN[0] + COLUMN[1] - width, width)
    dropped = _draw_claims(fig, inp, _draw_takeaways(fig, inp, top, size, column), column)
    if dropped:
        fig.mlcollage_notes.append(
            f"claims box: {dropped} of {len(inp.claims)} claims do not fit at {MIN_PT:g} pt; "
            "expected fewer or shorter claims (the page still has them all)"
        )
    return column


CLAIM_PT = 11
"""The claims' type the column aims for: a try that gives every claim this size (or more) is
taken at once; otherwise the try with the largest type (every claim kept first)."""
CLAIM_CHARS = 120
"""A claim's statement on the slide is cut to this many characters, so that seven claims with
their seeds and controls still fit the box at a readable size."""
COLUMN = (0.685, 0.285)
"""The right column's left edge and width (figure fractions): takeaways, then the claims box."""


def _draw_header(fig: Any, inp: SlideInput) -> float:
    """Accent bar, series label, venue, title and authors, and the rule under them; return the
    rule's height (figure fraction): the body starts there, so no band stays empty."""
    from matplotlib.patches import Rectangle

    fig.patches.append(
        Rectangle((0, 0.988), 1, 0.012, transform=fig.transFigure, color=ACCENT, zorder=0)
    )
    label = f"{inp.series} [{inp.number}]" if inp.number else inp.series
    fig.text(0.03, 0.955, label, fontsize=20, fontweight="bold", color=ACCENT, va="top")
    venue = venue_line(inp.venue, inp.year)
    fit_text(fig, venue, (0.55, 0.925, 0.42, 0.035), 20, 12, color=MUTED)
    fig.texts[-1].set_x(0.97)
    fig.texts[-1].set_horizontalalignment("right")
    title = fit_text(
        fig, inp.title, (0.03, 0.80, 0.94, 0.115), 42, 18, fontweight="bold", color=INK
    )
    renderer = fig.canvas.get_renderer()
    bottom = title.get_window_extent(renderer).y0 / H
    authors = fit_text(
        fig,
        authors_line(inp.authors, tr(inp, " et al.")),
        (0.03, max(0.745, bottom - 0.052), 0.94, 0.04),
        21,
        12,
        color=INK,
    )
    rule = authors.get_window_extent(renderer).y0 / H - 0.018
    fig.lines.append(_hline(fig, rule))
    return rule


def _draw_body(
    fig: Any,
    inp: SlideInput,
    panels: list[Any] | None,
    caveat: str,
    top: float = 0.735,
    width: float = 0.64,
) -> None:
    """The paper's figure and the experiment's panels (or the summary, without them), and the
    caveat under them; every panel's cell is recorded as ``fig.mlcollage_cells`` (axes ->
    rectangle) for the legibility rules."""
    bottom = 0.115 if caveat else 0.075
    body = (0.02, bottom, width, top - 0.01 - bottom)
    shown = ([_FigurePanel(inp.figure, inp.figure_title, inp.figure_credit)] if inp.figure
             else []) + list(panels or [])
    fig.mlcollage_cells = {}
    if shown:
        cells = panel_cells(len(shown), body)
        for panel, rect, cell in zip(shown, panel_rects(len(shown), body), cells, strict=False):
            ax = fig.add_axes(rect)
            _draw_panel(ax, panel, cell)
            fig.mlcollage_cells[ax] = cell
    else:
        note = inp.summary or tr(inp, "This paper has no reference experiment yet.")
        fit_text(
            fig,
            note,
            (0.04, body[1] + 0.05, width - 0.06, body[3] - 0.1),
            26,
            14,
            color=INK,
            linespacing=1.4,
        )
    if caveat:
        fit_text(fig, caveat, (0.03, 0.06, 0.63, 0.045), 13, 9, color=MUTED, style="italic")


def _draw_panel(ax: Any, panel: Any, cell: tuple[float, ...] | None = None) -> None:
    """One panel; a panel that raises shows its error in its place and in the figure's notes
    (the draw step reports them). A title wider than the panel's cell gets smaller type."""
    try:
        panel.draw(ax)
    except Exception as exc:  # noqa: BLE001 - shown on the slide, reported by caller
        notes = getattr(ax.figure, "mlcollage_notes", None)
        if notes is not None:
            notes.append(f"panel '{panel.title}' failed: {type(exc).__name__}: {exc}"[:300])
        ax.clear()
        ax.text(
            0.5,
            0.5,
            f"panel failed:\n{type(exc).__name__}: {exc}"[:200],
            ha="center",
            va="center",
            color=NO,
            transform=ax.transAxes,
            wrap=True,
        )
    title = ax.set_title(panel.title, loc="left", fontsize=17, fontweight="bold", color=INK)
    if cell is not None:
        right = (cell[0] + cell[2]) * W
        renderer = ax.figure.canvas.get_renderer()
        while title.get_fontsize() > 12 and title.get_window_extent(renderer).x1 > right:
            title.set_fontsize(title.get_fontsize() - 1)
    _readable(ax)


def _readable(ax: Any) -> None:
    """The layout's floor under any experiment's panel: no type under `MIN_PT`, and no grid
    over an image. What this cannot fix (overlaps, legends over data) the rules report."""
    from mlcollage.draw.legibility import MIN_PT

    for a in (ax, *ax.child_axes):
        if a.images:
            a.grid(False)
        for axis in (a.xaxis, a.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for label in (tick.label1, tick.label2):
                    if label.get_fontsize() < MIN_PT:
                        axis.set_tick_params(which="both", labelsize=MIN_PT)
                        break
        legend = a.get_legend()
        texts = [*a.texts, a.xaxis.label, a.yaxis.label, a.title, a._left_title, a._right_title,
                 a.xaxis.get_offset_text(), a.yaxis.get_offset_text()]
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
        for t in texts:
            if t.get_fontsize() < MIN_PT:
                t.set_fontsize(MIN_PT)
        _fit_axis_labels(a)


def _fit_axis_labels(ax: Any) -> None:
    """An axis label longer than its axis (a y-label climbing over the panel title) gets
    smaller type, down to `MIN_PT`; one that is still too long the rules report."""
    from mlcollage.draw.legibility import MIN_PT

    renderer = ax.figure.canvas.get_renderer()
    span = ax.get_window_extent(renderer)
    for label, length in ((ax.yaxis.label, span.height), (ax.xaxis.label, span.width)):
        if not label.get_text():
            continue
        while label.get_fontsize() > MIN_PT:
            ext = label.get_window_extent(renderer)
            if (ext.height if label is ax.yaxis.label else ext.width) <= length:
                break
            label.set_fontsize(max(MIN_PT, label.get_fontsize() - 1))


@dataclass(frozen=True)
class _FigurePanel:
    """The paper's own figure as a panel: the image, and its credit line under it."""

    path: str
    title: str
    credit: str

    def draw(self, ax: Any) -> None:
        import numpy as np
        from PIL import Image

        with Image.open(self.path) as im:
            pixels = np.asarray(im.convert("RGBA"))  # palette and alpha images too
        ax.imshow(pixels, interpolation="antialiased")
        ax.set_axis_off()
        ax.text(0, -0.03, self.credit, transform=ax.transAxes, ha="left", va="top",
                fontsize=11, color=MUTED, style="italic")


def _draw_takeaways(
    fig: Any,
    inp: SlideInput,
    top: float = 0.735,
    size: float = 20,
    column: tuple[float, float] = COLUMN,
) -> float:
    """The takeaways under the rule; return where they end: the claims box gets the rest."""
    x, width = column
    fig.text(x, top - 0.02, tr(inp, "Takeaways"), fontsize=19, fontweight="bold", color=ACCENT,
             va="top")
    list_top = top - 0.065
    used, _ = _fit_list(
        fig,
        [("•", ACCENT, t) for t in inp.takeaways] or [("", MUTED, "—")],
        (x, list_top - 0.22, width, 0.22),
        size,
        min(size, 12),
    )
    return used - 0.005


def _draw_claims(
    fig: Any, inp: SlideInput, top: float = 0.455, column: tuple[float, float] = COLUMN
) -> int:
    """The claims box, from ``top`` down to the footer: each checked claim in the compact form
    (mark, statement with its numbers, seeds it holds on, the control that falsifies it)."""
    from matplotlib.patches import FancyBboxPatch

    from mlcollage.draw.legibility import MIN_PT

    x, width = column
    top = max(min(top, 0.6), 0.3)
    box = (x - 0.01, 0.07, width + 0.02, top - 0.07)
    fig.patches.append(
        FancyBboxPatch(
            box[:2],
            box[2],
            box[3],
            boxstyle="round,pad=0,rounding_size=0.01",
            transform=fig.transFigure,
            facecolor=PANEL_BG,
            edgecolor="#d9dee5",
            zorder=0,
        )
    )
    heading = tr(inp, "Claims checked by our experiment" if inp.claims else "No experiment yet")
    if inp.status in ("failed", "stale"):
        heading = tr(inp, "%(heading)s (%(status)s)", heading=heading,
                     status=tr(inp, inp.status))
    fig.text(x, top - 0.015, heading, fontsize=17, fontweight="bold", color=INK, va="top")
    items = [
        (
            "✓" if c.reproduced and not c.control_failed else "✗",
            OK if c.reproduced and not c.control_failed else NO,
            shorten(c.statement, CLAIM_CHARS)  # the page has the whole statement
            + (tr(inp, " (%(k)d/%(n)d seeds)", k=c.holds_in, n=c.n_seeds) if c.n_seeds > 1
               else "")
            + (tr(inp, " — %(control)s", control=c.control) if c.control
               else tr(inp, " — not tested against a control")),
        )
        for c in inp.claims
    ]
    return _fit_list(
        fig,
        items or [("", MUTED, tr(inp, "Claims appear here once the experiment has run."))],
        (x, 0.08, width, top - 0.065 - 0.08),
        16,
        MIN_PT,
    )[1]


def _draw_footer(fig: Any, inp: SlideInput) -> None:
    """The rule, up to three links, and the run's provenance."""
    fig.lines.append(_hline(fig, 0.048))
    links = "  ·  ".join(short_link(u) for _, u in inp.links[:3])
    fit_text(fig, links, (0.02, 0.008, 0.6, 0.032), 14, 9, color=MUTED)
    fit_text(fig, inp.footer, (0.62, 0.008, 0.36, 0.032), 14, 9, color=MUTED)
    fig.texts[-1].set_x(0.98)
    fig.texts[-1].set_horizontalalignment("right")


def _hline(fig: Any, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([0.02, 0.98], [y, y], transform=fig.transFigure, color="#d9dee5", linewidth=1.2)


# ---------------------------------------------------------------------------------------------
# output


def figure_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def figure_pdf(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="pdf",
        dpi=DPI,
        metadata={"Creator": None, "Producer": None, "CreationDate": None},
    )
    return buf.getvalue()
