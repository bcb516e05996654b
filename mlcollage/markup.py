"""Markdown to HTML for summaries and digest texts: math as MathML, code highlighted by Pygments.

Both happen at build time: the pages need no script and make no request to show math or code.
"""

from __future__ import annotations

import hashlib
import html
import pickle
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from . import mdfast

_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|div|li|ul|ol|h[1-6]|br|hr|pre|blockquote|table|tr|td|th|dl|dt|dd|figure|figcaption"
    r"|section|math)\b[^>]*>"
)
_TAG_RE = re.compile(r"<[^>]+>")
HIGHLIGHT_CLASS = "highlight"


def to_mathml(tex: str, display: bool) -> str:
    """LaTeX -> MathML (latex2mathml); on a TeX error, the source shown as code, never a crash."""
    import latex2mathml.converter

    try:
        return latex2mathml.converter.convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - bad TeX in a summary must not break the build
        return f'<code class="math-error">{html.escape(tex)}</code>'


class _DisplayMath(Preprocessor):
    """`$$ ... $$` blocks (possibly over several lines) -> stashed MathML blocks."""

    RE = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.DOTALL)
    FENCE = re.compile(r"^(```|~~~)")

    def run(self, lines: list[str]) -> list[str]:
        if "$$" not in "\n".join(lines):  # most texts: the line loop below would return them as is
            return lines
        out, block, in_fence = [], [], False
        for line in lines:  # leave fenced code alone
            if self.FENCE.match(line.strip()):
                if not in_fence:
                    out.extend(self._convert(block))
                    block = []
                    out.append(line)
                else:
                    out.append(line)
                in_fence = not in_fence
                continue
            (out if in_fence else block).append(line)
        out.extend(self._convert(block))
        return out

    def _convert(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)

        def repl(m: re.Match) -> str:
            placeholder = self.md.htmlStash.store(
                f'<div class="math-display">{to_mathml(m.group(1), True)}</div>'
            )
            return f"\n\n{placeholder}\n\n"

        return self.RE.sub(repl, text).split("\n") if lines else []


class _InlineMath(InlineProcessor):
    """`$...$` (not `\\$`, not spanning lines, not `$ 5` prices) -> MathML."""

    NEEDS = "$"  # no match without a dollar: mdfast skips the scan

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 - markdown's API
        el = ET.Element("span", {"class": "math"})
        el.text = self.md.htmlStash.store(to_mathml(m.group(1), False))
        return el, m.start(0), m.end(0)


class MathExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - markdown's API
        md.preprocessors.register(_DisplayMath(md), "mlcollage_display_math", 27)
        md.inlinePatterns.register(
            _InlineMath(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", md), "mlcollage_math", 185
        )


class Markup:
    """A reusable Markdown converter (building one per document costs more than converting)."""

    def __init__(self, fast: bool = True) -> None:
        """``fast=False``: stock Markdown, which tests compare the `mdfast` speed-ups against."""
        hilite = {"css_class": HIGHLIGHT_CLASS, "guess_lang": False}
        if fast:
            hilite["pygments_formatter"] = mdfast.SharedFormatters()
        self._md = markdown.Markdown(
            extensions=["extra", "sane_lists", "codehilite", MathExtension()],
            extension_configs={"codehilite": hilite},
            output_format="html",
        )
        if fast:
            mdfast.install(self._md)

    def __call__(self, text: str) -> str:
        self._md.reset()
        return self._md.convert(text)


class CachedMarkup(Markup):
    """Markup with a persistent cache (text hash -> HTML) in the project's `.mlcollage/` folder.

    Markdown with highlighting is most of a render's CPU time; the cache makes a rebuild pay
    only for the texts that changed. Entries unused by a build are dropped when it saves.
    """

    VERSION = 1

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self.path = path
        self.old: dict[str, str] = {}
        self.used: dict[str, str] = {}
        if path is not None:
            try:
                with open(path, "rb") as fh:
                    data = pickle.load(fh)
                if data.get("key") == self._key():
                    self.old = data["html"]
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError):
                self.old = {}

    @staticmethod
    def _key() -> str:
        from importlib import metadata

        names = ("markdown", "pygments", "latex2mathml")
        return f"{CachedMarkup.VERSION}:" + ",".join(metadata.version(n) for n in names)

    def __call__(self, text: str) -> str:
        digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        html_text = self.used.get(digest) or self.old.get(digest)
        if html_text is None:
            html_text = super().__call__(text)
        self.used[digest] = html_text
        return html_text

    def save(self) -> None:
        if self.path is None or self.used == self.old:
            return
        from .publish import atomic_write

        atomic_write(
            self.path,
            pickle.dumps({"key": self._key(), "html": self.used}, protocol=pickle.HIGHEST_PROTOCOL),
        )


def pygments_css(light: str = "default", dark: str = "github-dark") -> str:
    """The code stylesheet: light by default, dark under the dark theme (system or toggle)."""
    from pygments.formatters import HtmlFormatter

    def rules(style: str, prefix: str) -> str:
        return HtmlFormatter(style=style).get_style_defs(f"{prefix} .{HIGHLIGHT_CLASS}")

    dark_rules = rules(dark, ":root[data-theme='dark']")
    system_dark = rules(dark, ":root:not([data-theme='light'])")
    return (
        "/* generated by mlcollage from Pygments styles */\n"
        + rules(light, "")
        + "\n"
        + dark_rules
        + "\n@media (prefers-color-scheme: dark) {\n"
        + system_dark
        + "\n}\n"
    )


def plain_text(html_text: str) -> str:
    """The text of an HTML fragment, whitespace collapsed (for descriptions and alt text)."""
    # block tags separate words; inline ones (a, em, code, MathML tokens) do not: "[x](u)." -> "x."
    text = _TAG_RE.sub("", _BLOCK_TAG_RE.sub(" ", html_text))
    return " ".join(html.unescape(text).split())


def shorten(text: str, limit: int = 200) -> str:
    """Cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def venue_line(venue: str, year: int) -> str:
    """'ICML 2019'; a venue that already names a year (ICLR 2021 for a 2020 preprint) is kept."""
    return venue if re.search(r"\b(19|20)\d\d\b", venue) else f"{venue} {year}".strip()
