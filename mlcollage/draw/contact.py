"""A contact sheet for review: every slide of a month at thumbnail size, on one PNG.

A person looks at it to judge what the legibility rules cannot (is the figure the paper's
point? does the slide read at a glance?). The slides come from `figures/` as published.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TILE = 480
"""Each slide's width on the sheet: the site's small thumbnail (`THUMB_WIDTHS[0]`)."""
COLUMNS, GAP, LABEL = 2, 24, 44


@dataclass(frozen=True)
class SheetEntry:
    slug: str
    slide: Path
    """`slide.png` in `figures/` (may be missing: the tile says so)."""
    findings: tuple[str, ...] = ()
    """The legibility findings `slide.json` recorded when the slide was drawn."""


def recorded_findings(folder: Path) -> tuple[str, ...]:
    """The legibility findings a slide's `slide.json` records (none when absent)."""
    try:
        record = json.loads((folder / "slide.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple(record.get("legibility", ())) if isinstance(record, dict) else ()


def contact_sheet(title: str, entries: Sequence[SheetEntry]) -> bytes:
    """The sheet as PNG bytes: a title line, then the slides in order, two a row, each with its
    number, slug and how many rule findings it has."""
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    font_path = font_manager.findfont("DejaVu Sans")
    font, small = ImageFont.truetype(font_path, 20), ImageFont.truetype(font_path, 15)
    tile_h = round(TILE * 1080 / 1920)
    rows = max(1, -(-len(entries) // COLUMNS))
    width = COLUMNS * TILE + (COLUMNS + 1) * GAP
    height = 60 + rows * (tile_h + LABEL + GAP)
    sheet = Image.new("RGB", (width, height), (236, 239, 243))
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP, 18), title, fill=(31, 41, 51), font=font)
    for i, entry in enumerate(entries):
        x = GAP + (i % COLUMNS) * (TILE + GAP)
        y = 60 + (i // COLUMNS) * (tile_h + LABEL + GAP)
        if entry.slide.is_file():
            with Image.open(entry.slide) as im:
                sheet.paste(im.convert("RGB").resize((TILE, tile_h), Image.Resampling.LANCZOS),
                            (x, y))
        else:
            draw.rectangle((x, y, x + TILE, y + tile_h), outline=(180, 35, 24), width=2)
            draw.text((x + 12, y + 12), "no slide drawn", fill=(180, 35, 24), font=font)
        n = len(entry.findings)
        note = "rules: ok" if not n else f"rules: {n} finding{'s' * (n != 1)}"
        draw.text((x, y + tile_h + 6), f"{i + 1}. {entry.slug}", fill=(31, 41, 51), font=small)
        draw.text((x, y + tile_h + 24), note, font=small,
                  fill=(30, 122, 70) if not n else (180, 35, 24))
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()
