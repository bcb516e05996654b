"""The type specimen behind `legibility.MIN_PT`: slide text at 6-14 pt, scaled like the site's
thumbnails (Lanczos to 960 and 480 px wide), for a person to judge what still reads.

    python bench/type_specimen.py [OUT_DIR]     # writes specimen-1920.png, -960.png, -480.png

Result (2026-12, DejaVu Sans): at 960 px, 6-7 pt cannot be read, 8 pt blurs '3'/'8' and 'e'/'c',
9 pt is the smallest that reads; at 480 px only 14 pt and up (titles, takeaways) read.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    out = Path(argv[0]) if argv else Path("type-specimen")
    out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(19.2, 10.8), dpi=100)
    FigureCanvasAgg(fig)
    for i, size in enumerate(range(6, 15)):
        fig.text(0.02, 0.95 - 0.1 * i, f"{size} pt: iteration 1,500  exact B=19 (1-bit match)  "
                 "0.001 0.01 0.1  β=16: own  38 ce", fontsize=size, va="top")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    with Image.open(buf) as im:
        im = im.convert("RGB")
        for width in (1920, 960, 480):
            small = im.resize((width, round(1080 * width / 1920)), Image.Resampling.LANCZOS)
            small.save(out / f"specimen-{width}.png")
    print(f"wrote {out}/specimen-{{1920,960,480}}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
