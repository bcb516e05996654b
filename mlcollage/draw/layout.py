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

from mlcollage.text import shorten, venue_line

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
    per_line = max(8, int(width_px / (0.55 * size * DPI / 72)))
    return "\n".join(textwrap.wrap(text, per_line, break_long_words=True)) or text


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
) -> None:
    """Bulleted items (mark, colour, text) in ``box``, one shared font size that fits them all."""
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
                for a in artists:
                    if a.get_window_extent(renderer).y0 / H < y:
                        a.remove()
            return
        for a in artists:
            a.remove()
        size -= 1


# ---------------------------------------------------------------------------------------------
# layout


def authors_line(authors: tuple[str, ...]) -> str:
    return ", ".join(authors[:3]) + " et al." if len(authors) > 3 else ", ".join(authors)


def short_link(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc.removeprefix("www.") + parts.path).rstrip("/") if parts.netloc else url


def panel_rects(n: int, box: tuple[float, float, float, float]) -> list[tuple[float, ...]]:
    """Axes rectangles for n panels in ``box``, leaving room for titles and tick labels."""
    x, y, w, h = box
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
    ml, mb, mt, mr = 0.045, 0.055, 0.05, 0.02  # figure fractions for labels and titles
    return [(cx + ml, cy + mb, cw - ml - mr, ch - mb - mt) for cx, cy, cw, ch in cells]


def draw_slide(inp: SlideInput, panels: list[Any] | None = None, caveat: str = "") -> Any:
    """The slide as a matplotlib Figure (no pyplot): header, body, right column, footer."""
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    setup_fonts()
    with matplotlib.style.context(str(STYLE)):
        matplotlib.rcParams["font.family"] = FAMILIES
        fig = Figure(figsize=(W / DPI, H / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        _draw_header(fig, inp)
        _draw_body(fig, inp, panels, caveat)
        _draw_takeaways(fig, inp)
        _draw_claims(fig, inp)
        _draw_footer(fig, inp)
    return fig


CLAIM_CHARS = 120
"""A claim's statement on the slide is cut to this many characters, so that seven claims with
their seeds and controls still fit the box at a readable size."""
COLUMN = (0.685, 0.285)
"""The right column's left edge and width (figure fractions): takeaways, then the claims box."""


def _draw_header(fig: Any, inp: SlideInput) -> None:
    """Accent bar, series label, venue, title and authors, and the rule under them."""
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
    bottom = title.get_window_extent(fig.canvas.get_renderer()).y0 / H
    fit_text(
        fig,
        authors_line(inp.authors),
        (0.03, max(0.745, bottom - 0.052), 0.94, 0.04),
        21,
        12,
        color=INK,
    )
    fig.lines.append(_hline(fig, 0.735))


def _draw_body(fig: Any, inp: SlideInput, panels: list[Any] | None, caveat: str) -> None:
    """The experiment's panels (or the summary, without one), and the caveat under them."""
    body = (0.02, 0.115 if caveat else 0.075, 0.64, 0.62 if caveat else 0.66)
    if panels:
        for panel, rect in zip(panels, panel_rects(len(panels), body), strict=False):
            _draw_panel(fig.add_axes(rect), panel)
    else:
        note = inp.summary or "This paper has no reference experiment yet."
        fit_text(
            fig,
            note,
            (0.04, body[1] + 0.05, 0.58, body[3] - 0.1),
            26,
            14,
            color=INK,
            linespacing=1.4,
        )
    if caveat:
        fit_text(fig, caveat, (0.03, 0.06, 0.63, 0.045), 13, 9, color=MUTED, style="italic")


def _draw_panel(ax: Any, panel: Any) -> None:
    """One panel; a panel that raises shows its error in its place (the caller reports it)."""
    try:
        panel.draw(ax)
    except Exception as exc:  # noqa: BLE001 - shown on the slide, reported by caller
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
    ax.set_title(panel.title, loc="left", fontsize=17, fontweight="bold", color=INK)


def _draw_takeaways(fig: Any, inp: SlideInput) -> None:
    x, width = COLUMN
    fig.text(x, 0.715, "Takeaways", fontsize=19, fontweight="bold", color=ACCENT, va="top")
    _fit_list(
        fig,
        [("•", ACCENT, t) for t in inp.takeaways] or [("", MUTED, "—")],
        (x, 0.47, width, 0.2),
        20,
        11,
    )


def _draw_claims(fig: Any, inp: SlideInput) -> None:
    """The claims box: each checked claim with its mark, or why there are none."""
    from matplotlib.patches import FancyBboxPatch

    x, width = COLUMN
    box = (x - 0.01, 0.07, width + 0.02, 0.385)
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
    heading = "Claims checked by our experiment" if inp.claims else "No experiment yet"
    if inp.status in ("failed", "stale"):
        heading += f" ({inp.status})"
    fig.text(x, 0.44, heading, fontsize=17, fontweight="bold", color=INK, va="top")
    items = [
        (
            "✓" if c.reproduced and not c.control_failed else "✗",
            OK if c.reproduced and not c.control_failed else NO,
            shorten(c.statement, CLAIM_CHARS)  # the page has the whole statement
            + (f" ({c.holds_in}/{c.n_seeds} seeds)" if c.n_seeds > 1 else "")
            + (f" — {c.control}" if c.control else " — not tested against a control"),
        )
        for c in inp.claims
    ]
    _fit_list(
        fig,
        items or [("", MUTED, "Claims appear here once the experiment has run.")],
        (x, 0.08, width, 0.32),
        16,
        8,
    )


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
