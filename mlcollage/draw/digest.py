"""A month's digest PDF: a title page listing the papers, then each vector `slide.pdf`, merged.

The slides stay vector (text, lines and fonts, not pixels) and the bytes are the same on every
build: no dates but the digest's, and no file identifier (pypdf writes one only to encrypt).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from mlcollage.draw.layout import ACCENT, DPI, INK, MUTED, STYLE, H, W, families, figure_pdf


def title_page(
    title: str, date: dt.date, series: str, papers: Sequence[str], month: str = "",
    lang: str = "en",
) -> bytes:
    """The digest's first page (one PDF page the slides' size): its title, date and papers."""
    return figure_pdf(title_figure(title, date, series, papers, month, lang))


def title_figure(
    title: str, date: dt.date, series: str, papers: Sequence[str], month: str = "",
    lang: str = "en",
) -> Any:
    """The title page as a matplotlib Figure: series, title, month (``month``: as the digest's
    language writes it), then one line per paper."""
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mlcollage.draw.layout import fit_text, setup_fonts

    setup_fonts()
    with matplotlib.style.context(str(STYLE)):
        matplotlib.rcParams["font.family"] = families(lang)
        fig = Figure(figsize=(W / DPI, H / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.text(0.06, 0.86, series, fontsize=24, fontweight="bold", color=ACCENT, va="top")
        head = fit_text(fig, title, (0.06, 0.66, 0.88, 0.16), 48, 24, fontweight="bold",
                        color=INK)
        under = head.get_window_extent(fig.canvas.get_renderer()).y0 / H
        fig.text(0.06, under - 0.025, month or f"{date:%B %Y}", fontsize=22, color=MUTED, va="top")
        step = 0.5 / max(4, len(papers))
        for i, line in enumerate(papers):
            y = 0.56 - (i + 1) * step
            fig.text(0.06, y + step, f"{i + 1}.", fontsize=22, color=ACCENT, va="top",
                     fontweight="bold")
            fit_text(fig, line, (0.095, y + 0.01, 0.85, step - 0.01), 22, 12, color=INK)
        return fig


def digest_pdf(
    slides: Sequence[bytes], title: str, date: dt.date, series: str, papers: Sequence[str],
    month: str = "", lang: str = "en",
) -> bytes:
    """The title page and the slides' own PDF pages in order, as one deterministic PDF."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (title_page(title, date, series, papers, month, lang), *slides):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    stamp = f"D:{date:%Y%m%d}000000Z"
    writer.add_metadata({"/Title": title, "/Producer": "mlcollage", "/Creator": "mlcollage",
                         "/CreationDate": stamp, "/ModDate": stamp})
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
