"""Legibility rules, run on a drawn slide's artists: what a reader at thumbnail size would trip on.

The rules look only at the matplotlib Figure (texts, legends, lines, images, axes scales), so
they hold for any experiment's panels, not only ours:

- no text under `MIN_PT` at 1920x1080;
- no text off the slide, outside its panel, cut by its axes, or an axis label longer than its
  axis (a y-label that climbs above the panel title);
- no two texts overlapping;
- a legend does not cover data (its box against the plotted lines, markers and bars);
- a log axis shows at least two labelled ticks;
- no grid drawn over an image (`imshow` axes).

`check_figure` returns one message per finding; the draw step reports them as warnings (errors
under `--strict`) and records them in `slide.json`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MIN_PT = 9.0
"""The smallest type on a 1920x1080 slide, in points at 100 dpi (12.5 px). The site shows the
slide at 960 px wide, where 9 pt becomes 6.25 px: the smallest size at which DejaVu Sans digits
and lower case stay distinct after the thumbnail's Lanczos downscale (`bench/type_specimen.py`
draws 6-14 pt and scales it to 960 and 480 px; 8 pt blurs '3'/'8' and 'e'/'c' there, 6-7 pt
cannot be read at all)."""
REFERENCE_WIDTH = 1920
TOLERANCE_PX = 2.0
"""Extents may touch or cross by this much: antialiasing, not a problem a reader sees."""


@dataclass(frozen=True)
class _Text:
    artist: Any
    where: str
    """The panel it belongs to ('' for the slide's own texts)."""
    kind: str
    """'tick', 'xlabel', 'ylabel', 'title', 'legend' or 'text'."""
    box: Any
    owner: Any = None
    """The panel's top-level axes, when it belongs to one."""
    ax: Any = None
    """The axes it is drawn in (an inset's own axes)."""


def check_figure(fig: Any, cells: Mapping[Any, Sequence[float]] | None = None) -> list[str]:
    """Every finding of the rules on ``fig``; ``cells`` maps a panel's axes to the rectangle
    (x, y, w, h in figure fractions) the layout gave it, titles and labels included."""
    fig.canvas.draw()  # tick labels, legends and extents exist only once drawn
    renderer = fig.canvas.get_renderer()
    scale = REFERENCE_WIDTH / (fig.get_figwidth() * fig.dpi)
    texts = list(_texts(fig, renderer))
    out: list[str] = []
    out += _small_type(texts, fig.dpi * scale / 100)
    out += _outside(texts, fig, renderer, cells or {})
    out += _overlaps(texts)
    for ax, where, _ in _all_axes(fig):
        out += _legend_over_data(ax, where, renderer)
        out += _log_ticks(ax, where, renderer)
        out += _grid_over_image(ax, where)
    return out


# ---------------------------------------------------------------------------------------------
# what is drawn


def _name(ax: Any) -> str:
    for loc in ("left", "center", "right"):
        title = ax.get_title(loc=loc).strip()
        if title:
            return f"panel '{title}'"
    return "a panel without a title"


def _all_axes(fig: Any) -> Iterator[tuple[Any, str, Any]]:
    """Every axes, a name for messages, and the top-level axes (panel) it belongs to."""

    def walk(ax: Any, where: str, top: Any) -> Iterator[tuple[Any, str, Any]]:
        yield ax, where, top
        for child in ax.child_axes:
            if child.get_visible():
                yield from walk(child, f"{where} (inset)", top)

    for ax in fig.axes:
        if ax.get_visible():
            yield from walk(ax, _name(ax), ax)


def _shown(t: Any) -> bool:
    return t.get_visible() and t.get_text().strip() != "" and (t.get_alpha() is None or
                                                               t.get_alpha() > 0)


def _texts(fig: Any, renderer: Any) -> Iterator[_Text]:
    for t in fig.texts:
        if _shown(t):
            yield _Text(t, "", "text", t.get_window_extent(renderer))
    for ax, where, owner in _all_axes(fig):
        found: list[tuple[Any, str]] = [(t, "text") for t in ax.texts]
        found += [(ax.title, "title"), (ax._left_title, "title"), (ax._right_title, "title")]
        if ax.axison:  # `ax.axis("off")` draws neither ticks nor axis labels
            found += [(ax.xaxis.label, "xlabel"), (ax.yaxis.label, "ylabel")]
            found += [(ax.xaxis.get_offset_text(), "tick"), (ax.yaxis.get_offset_text(), "tick")]
            found += [(t, "tick") for t in _tick_labels(ax, renderer)]
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            found += [(t, "legend") for t in (*legend.get_texts(), legend.get_title())]
        for t, kind in found:
            if _shown(t):
                yield _Text(t, where, kind, t.get_window_extent(renderer), owner, ax)


def _tick_labels(ax: Any, renderer: Any) -> list[Any]:
    """Tick labels that are drawn: visible, with text, at a location inside the view."""
    import numpy as np

    box = ax.get_window_extent(renderer)
    out = []
    for axis, horizontal in ((ax.xaxis, True), (ax.yaxis, False)):
        if not axis.get_visible():
            continue
        to_px = ax.get_xaxis_transform() if horizontal else ax.get_yaxis_transform()
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            loc = tick.get_loc()
            if loc is None:
                continue
            with np.errstate(all="ignore"):
                px = to_px.transform((loc, 0) if horizontal else (0, loc))
            pos, lo, hi = (px[0], box.x0, box.x1) if horizontal else (px[1], box.y0, box.y1)
            if not np.isfinite(pos) or not lo - 1 <= pos <= hi + 1:
                continue
            for label in (tick.label1, tick.label2):
                if label.get_visible() and tick.get_visible():
                    out.append(label)
    return out


def _quote(t: Any) -> str:
    text = " ".join(t.get_text().split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _at(item: _Text) -> str:
    return f"{item.where}: " if item.where else "slide: "


# ---------------------------------------------------------------------------------------------
# the rules


def _small_type(texts: list[_Text], pt_scale: float) -> list[str]:
    out = []
    for item in texts:
        size = item.artist.get_fontsize() * pt_scale
        if size < MIN_PT - 1e-6:
            out.append(f"{_at(item)}text {_quote(item.artist)} is {size:.3g} pt; expected at "
                       f"least {MIN_PT:g} pt (readable on the 960 px thumbnail)")
    return out


def _outside(
    texts: list[_Text], fig: Any, renderer: Any, cells: Mapping[Any, Sequence[float]]
) -> list[str]:
    out = []
    width, height = fig.bbox.width, fig.bbox.height
    tol = TOLERANCE_PX
    for item in texts:
        b = item.box
        if b.x0 < -tol or b.y0 < -tol or b.x1 > width + tol or b.y1 > height + tol:
            out.append(f"{_at(item)}text {_quote(item.artist)} runs off the slide")
            continue
        cell = cells.get(item.owner) if item.owner is not None else None
        if cell is not None:
            x, y, w, h = cell
            if (b.x0 < x * width - tol or b.x1 > (x + w) * width + tol
                    or b.y0 < y * height - tol or b.y1 > (y + h) * height + tol):
                out.append(f"{_at(item)}text {_quote(item.artist)} runs outside its panel")
                continue
        clip = item.artist.get_clip_box() if item.artist.get_clip_on() else None
        if clip is not None and (b.x0 < clip.x0 - tol or b.x1 > clip.x1 + tol
                                 or b.y0 < clip.y0 - tol or b.y1 > clip.y1 + tol):
            out.append(f"{_at(item)}text {_quote(item.artist)} is cut by its axes")
            continue
        if item.kind in ("xlabel", "ylabel"):
            axes = item.ax.get_window_extent(renderer)
            long = (b.y0 < axes.y0 - tol or b.y1 > axes.y1 + tol) if item.kind == "ylabel" else (
                b.x0 < axes.x0 - tol or b.x1 > axes.x1 + tol)
            if long:
                axis = "y" if item.kind == "ylabel" else "x"
                runs = "above the panel title" if axis == "y" else "past the panel"
                out.append(f"{_at(item)}{axis}-label {_quote(item.artist)} is longer than its "
                           f"axis (it runs {runs}); expected a shorter label")
    return out


def _overlaps(texts: list[_Text]) -> list[str]:
    import numpy as np

    if len(texts) < 2:
        return []
    boxes = np.array([[t.box.x0, t.box.y0, t.box.x1, t.box.y1] for t in texts])
    shrink = np.array([1, 1, -1, -1]) * TOLERANCE_PX / 2
    boxes = boxes + shrink
    out = []
    for i in range(len(texts) - 1):
        rest = boxes[i + 1 :]
        w = np.minimum(boxes[i, 2], rest[:, 2]) - np.maximum(boxes[i, 0], rest[:, 0])
        h = np.minimum(boxes[i, 3], rest[:, 3]) - np.maximum(boxes[i, 1], rest[:, 1])
        for j in np.flatnonzero((w > 0) & (h > 0)):
            a, b = texts[i], texts[i + 1 + int(j)]
            where = _at(a) if a.where == b.where else f"{_at(a)}/ {_at(b)}"
            out.append(f"{where}texts {_quote(a.artist)} and {_quote(b.artist)} overlap")
    return out


def _legend_over_data(ax: Any, where: str, renderer: Any) -> list[str]:
    covered = covered_by_legend(ax, renderer)
    if not covered:
        return []
    names = sorted({c for c in covered if c and not c.startswith("_")})
    what = ", ".join(repr(n) for n in names[:3]) if names else "plotted data"
    return [f"{where}: the legend covers data ({what}); expected it beside the data "
            "(another corner, outside the axes, or more head room)"]


def covered_by_legend(ax: Any, renderer: Any) -> list[str]:
    """The labels of the lines, points and bars that ``ax``'s legend box covers."""
    import numpy as np

    legend = ax.get_legend()
    if legend is None or not legend.get_visible():
        return []
    box = legend.get_window_extent(renderer).padded(-TOLERANCE_PX)
    covered = []
    for line in ax.lines:
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        path = line.get_transform().transform_path(line.get_path())
        drawn = line.get_linestyle() not in ("None", "none", "", " ")
        if (drawn and path.intersects_bbox(box, filled=False)) or _points_in(path.vertices, box):
            covered.append(line.get_label())
    for coll in ax.collections:
        offsets = coll.get_offsets() if coll.get_visible() else np.zeros((0, 2))
        if len(offsets) and type(coll).__name__ == "PathCollection":  # scatter points
            if _points_in(coll.get_offset_transform().transform(offsets), box):
                covered.append(coll.get_label())
    bar_label = {id(p): c.get_label() for c in ax.containers for p in c if p is not None}
    for patch in ax.patches:
        if patch.get_visible() and type(patch).__name__ == "Rectangle":  # bars
            ext = patch.get_window_extent(renderer)
            if ext.width > 0 and ext.height > 0 and ext.overlaps(box):
                covered.append(bar_label.get(id(patch), patch.get_label()))
    return covered


def _points_in(points: Any, box: Any) -> bool:
    import numpy as np

    p = np.asarray(points)
    if p.size == 0:
        return False
    inside = (p[:, 0] > box.x0) & (p[:, 0] < box.x1) & (p[:, 1] > box.y0) & (p[:, 1] < box.y1)
    return bool(inside.any())


def _log_ticks(ax: Any, where: str, renderer: Any) -> list[str]:
    out: list[str] = []
    if not ax.axison:
        return out
    labels = _tick_labels(ax, renderer)
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if axis.get_scale() != "log" or not axis.get_visible():
            continue
        mine = [t for t in labels if _belongs(t, axis) and _shown(t)]
        if len(mine) < 2:
            shown = ", ".join(repr(t.get_text()) for t in mine) or "none"
            out.append(f"{where}: the log {name} axis has {len(mine)} labelled tick ({shown}); "
                       "expected at least two (widen the range or label minor ticks)")
    return out


def _belongs(label: Any, axis: Any) -> bool:
    return any(label in (t.label1, t.label2)
               for t in axis.get_major_ticks() + axis.get_minor_ticks())


def _grid_over_image(ax: Any, where: str) -> list[str]:
    if not ax.images:
        return []
    grid = [g for g in ax.get_xgridlines() + ax.get_ygridlines() if g.get_visible()]
    if not grid:
        return []
    return [f"{where}: grid lines are drawn over an image; expected `ax.grid(False)` on "
            "image axes"]
