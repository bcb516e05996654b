"""Markdown to HTML for summaries and digest texts: math as MathML, code highlighted by Pygments.

Both happen at build time: the pages need no script and make no request to show math or code.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from functools import partial

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from mlcollage.render import markdown_fast as mdfast
from mlcollage.render import pool
from mlcollage.state.memo import Memo

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


def _extensions(hilite: dict[str, object]) -> list[Extension]:
    """"extra", "sane_lists" and "codehilite" as instances, in that order (Extra's own order
    within it): named, Markdown finds each through the installed packages' entry points, and
    reading that metadata costs ~20 ms a process."""
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.codehilite import CodeHiliteExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    extra = [FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(),
             TableExtension(), AbbrExtension(), MarkdownInHtmlExtension()]
    return [*extra, SaneListExtension(), CodeHiliteExtension(**hilite), MathExtension()]


class Markup:
    """A reusable Markdown converter (building one per document costs more than converting).

    With a ``memo`` (the build state's Markdown memo) each text is converted once across builds:
    Markdown with highlighting is most of a render's CPU time.
    """

    def __init__(self, fast: bool = True, memo: Memo | None = None) -> None:
        """``fast=False``: stock Markdown, which tests compare the `mdfast` speed-ups against."""
        self.memo = memo
        self._fast = fast
        self._known: dict[str, str] | None = None
        """Highlighted code blocks by `markdown_fast.block_key`, from the texts the memo held
        at this converter's first conversion."""
        hilite = {"css_class": HIGHLIGHT_CLASS, "guess_lang": False}
        if fast:
            hilite["pygments_formatter"] = mdfast.SharedFormatters()
        self._md = markdown.Markdown(extensions=_extensions(hilite), output_format="html")
        if fast:
            mdfast.install(self._md)

    def __call__(self, text: str) -> str:
        if self.memo is None:
            return self._convert(text)
        digest = _digest(text)
        converted = self.memo.get(digest, "")
        if converted is None:
            converted = self._convert_keeping_blocks(text)
            self.memo.put(digest, "", converted)
        return converted[0]

    def convert_all(self, texts: Iterable[str], jobs: int) -> int:
        """Convert the texts not in the memo yet over ``jobs`` processes, when there are enough
        of them to pay for the workers (`pool.workers`), into the memo: later calls find them
        there, this build's and (once the build state is saved) the next one's. Returns how
        many were converted here; 0 when serial (each is converted when first asked for)."""
        if self.memo is None:
            return 0
        todo: dict[str, str] = {}
        for text in texts:
            digest = _digest(text)
            if digest not in todo and self.memo.get(digest, "") is None:
                todo[digest] = text
        weights = [SECONDS_PER_CHAR * len(t) for t in todo.values()]
        n = pool.workers(jobs, sum(weights))
        if n <= 1 or len(todo) < 2:
            return 0
        converted = pool.run_tasks(
            [partial(self._convert_keeping_blocks, t) for t in todo.values()], weights, n)
        for digest, value in zip(todo, converted, strict=True):
            self.memo.put(digest, "", value)
        return len(todo)

    def _convert(self, text: str) -> str:
        self._md.reset()
        return self._md.convert(text)

    def _convert_keeping_blocks(self, text: str) -> tuple[str, dict[str, str]]:
        """(HTML, the highlighted code blocks it holds): what the memo keeps of a text. A block
        of a text the memo held from an earlier build is not highlighted again
        (`markdown_fast.CodeBlocks`): an edit around a summary's code builds no lexer. Blocks
        are not shared within a build: a cold build highlights every block, as before (the
        bench corpus repeats its code blocks, and sharing them would flatter it)."""
        if not self._fast:  # stock Markdown: every block highlighted
            return self._convert(text), {}
        if self._known is None:
            self._known = {}
            for value in self.memo.values() if self.memo is not None else ():
                if isinstance(value, tuple) and len(value) == 2:
                    self._known.update(value[1])
        outer = mdfast.BLOCKS
        mdfast.BLOCKS = blocks = mdfast.CodeBlocks(self._known)
        try:
            html_text = self._convert(text)
        finally:
            mdfast.BLOCKS = outer
        return html_text, blocks.made


SECONDS_PER_CHAR = 0.6e-6
"""Markdown's cost per character of text (the bench corpus: ~1.6 ms a 2700-character summary
with a code block), for `pool.workers`' estimate."""


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


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
