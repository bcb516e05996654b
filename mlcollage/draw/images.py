"""Images derived from a slide with Pillow: PNG with provenance, social card, WebP thumbs."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

CARD = (1200, 630)
THUMB_WIDTHS = (480, 960)
BACKGROUND = (255, 255, 255)


def png_with_text(png: bytes, text: Mapping[str, str]) -> bytes:
    """Re-encode a PNG with tEXt chunks (result key, seed, versions); deterministic bytes."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    with Image.open(io.BytesIO(png)) as im:
        out = io.BytesIO()
        im.convert("RGB").save(out, format="PNG", pnginfo=info, optimize=False, compress_level=6)
    return out.getvalue()


def png_text(png: bytes) -> dict[str, str]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return dict(getattr(im, "text", {}))


def card(png: bytes) -> bytes:
    """1200x630 social card: the slide scaled to the card's height, centred on white."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGB")
        scale = min(CARD[0] / im.width, CARD[1] / im.height)
        size = (round(im.width * scale), round(im.height * scale))
        small = im.resize(size, Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", CARD, BACKGROUND)
        canvas.paste(small, ((CARD[0] - size[0]) // 2, (CARD[1] - size[1]) // 2))
        out = io.BytesIO()
        canvas.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def thumbnails(png: bytes, widths: Sequence[int] = THUMB_WIDTHS) -> dict[int, bytes]:
    """WebP thumbnails of the slide at the given widths (for srcset)."""
    from PIL import Image

    out = {}
    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGB")
        for width in widths:
            height = round(im.height * width / im.width)
            buf = io.BytesIO()
            im.resize((width, height), Image.Resampling.LANCZOS).save(
                buf, format="WEBP", quality=82, method=6
            )
            out[width] = buf.getvalue()
    return out
