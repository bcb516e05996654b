"""Speed-ups for `markup.Markup` that leave its HTML byte-identical.

A profile of a 1000-entry corpus showed three avoidable costs (and a one-summary edit a fourth:
Pygments builds each lexer once per process, `CodeBlocks`):

- codehilite builds a Pygments `HtmlFormatter` for every code block, and each one computes
  its style's whole CSS table, which took longer than lexing and formatting a short block;
- it also looks its lexer up by name (a scan of Pygments' lexer table) and builds a new one for
  every block: ~0.14 ms a block, 0.14 s of a 1000-entry cold build;
- Markdown searches every inline pattern's regex in every text node. Python's `re` cannot skip
  ahead to a literal in those that begin with a lookbehind (backtick, link, our `$` math), so
  each search walks the whole paragraph (10-40 us for 700 characters), even in a paragraph
  without a single backtick, bracket or dollar.
"""

from __future__ import annotations

import markdown
from markdown import inlinepatterns, treeprocessors, util

# A match of the regex (by its exact source) needs one of these characters in the text.
# Exact sources, not Markdown's constants: a regex that changes in a new Markdown loses
# its entry (and is simply always run) instead of keeping a gate that may no longer hold.
_NEEDS = {
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": "`",  # backtick (or backslashes before one)
    r"\\(.)": "\\",  # escape
    r"\[\^([^\]]*)\]": "[",  # footnote reference
    r"(?<!\!)\[": "[",  # link, reference, short reference
    r"\!\[": "[",  # image, image reference, short image reference
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": "<",  # autolink
    r"<([^<> !]+@[^@<> ]+)>": "<",  # automail
    r"  \n": "\n",  # line break
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": "&",  # entity
    r"\*|_": "*_",  # emphasis and strong
}


class GatedInlineProcessor(treeprocessors.InlineProcessor):
    """Markdown's inline step, minus the pattern scans that cannot match.

    A pattern whose regex needs a character the text lacks is skipped: Markdown would scan,
    find no match and go on to the next pattern, with no other effect. What a regex needs comes
    from `_NEEDS`, or from a `NEEDS` attribute on patterns of our own. The loop is Markdown's
    private `InlineProcessor.__handleInline` (the same for many releases) with that test
    added; `install` keeps the stock processor if Markdown no longer has it.
    """

    def run(self, tree, ancestors=None):
        # A plain list: indexing the Registry re-checks its sort order on every step.
        self._patterns = list(self.inlinePatterns)
        self._needs = [  # old-style `Pattern`s wrap their regex: never skipped
            (getattr(p, "NEEDS", None) or _NEEDS.get(getattr(p, "pattern", None), ""))
            if isinstance(p, inlinepatterns.InlineProcessor)
            else ""
            for p in self._patterns
        ]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data, patternIndex=0):  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data
        patterns, needs_, count = self._patterns, self._needs, len(self._patterns)
        start = 0
        while patternIndex < count:
            chars = needs_[patternIndex]  # ("" = no gate); one character is several times
            if chars and not (  # cheaper to test with `in` than with any()
                chars in data if len(chars) == 1 else any(c in data for c in chars)
            ):
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = self._InlineProcessor__applyPattern(
                patterns[patternIndex], data, patternIndex, start
            )
            if not matched:
                patternIndex += 1
        return data


def install(md: markdown.Markdown) -> None:
    """Replace `md`'s inline treeprocessor by the gated one (same name and priority), and
    have codehilite reuse its lexers (`shared_lexer`) and the blocks it highlighted before
    (`remembered_hilite`)."""
    from markdown.extensions import codehilite

    if hasattr(codehilite, "get_lexer_by_name"):  # (absent without Pygments)
        codehilite.get_lexer_by_name = shared_lexer
    hilite = getattr(codehilite.CodeHilite, "hilite", None)
    if hilite is not None and not getattr(hilite, "remembers", False):
        codehilite.CodeHilite.hilite = remembered_hilite(hilite)
    stock = treeprocessors.InlineProcessor
    if not all(hasattr(stock, f"_InlineProcessor__{m}") for m in ("handleInline", "applyPattern")):
        return  # Markdown changed its internals: keep the stock processor (slower, same HTML)
    if type(md.treeprocessors["inline"]) is stock:
        md.treeprocessors.register(GatedInlineProcessor(md), "inline", 20)


class CodeBlocks:
    """The highlighted HTML of code blocks by `block_key`: ``known`` (the blocks of texts
    converted before, in earlier builds too) and ``made`` (the ones this conversion met, which
    the Markdown memo keeps with its text). Pygments builds a lexer once per process: ~75 ms for
    Python's, more than the rest of a one-summary edit's Markdown."""

    def __init__(self, known: dict[str, str] | None = None) -> None:
        self.known = known if known is not None else {}
        self.made: dict[str, str] = {}


BLOCKS: CodeBlocks | None = None
"""The blocks of the conversion under way (`markdown.Markup` sets it around each); None: none
remembered."""


def block_key(hilite: object, shebang: bool) -> str:
    """What a block's HTML depends on: every attribute codehilite set from the source, the
    language and the options (the formatter is the same for every block of a `Markup`)."""
    import hashlib

    state = sorted((k, v) for k, v in vars(hilite).items() if k != "pygments_formatter")
    return hashlib.blake2b(repr((state, shebang)).encode(), digest_size=16).hexdigest()


def remembered_hilite(stock):  # noqa: ANN001, ANN201 - codehilite's method
    """codehilite's `CodeHilite.hilite`, answered from `BLOCKS` for a block met before."""

    def hilite(self, shebang=True):  # noqa: ANN001, ANN202, FBT002 - codehilite's signature
        blocks = BLOCKS
        if blocks is None:
            return stock(self, shebang)
        key = block_key(self, shebang)
        html = blocks.made.get(key) or blocks.known.get(key)
        if html is None:
            html = stock(self, shebang)
        blocks.made[key] = html
        return html

    hilite.remembers = True
    return hilite


_LEXERS: dict[str, object] = {}


def shared_lexer(name: str, **options: object) -> object:
    """Pygments' `get_lexer_by_name` for codehilite, one lexer per name and options: a lexer
    keeps no state between `get_tokens` calls (the same lexer highlights every block of a
    Sphinx build). An unknown name raises as before, and is not kept."""
    key = f"{name}\0{sorted(options.items())!r}"
    lexer = _LEXERS.get(key)
    if lexer is None:
        from pygments.lexers import get_lexer_by_name

        lexer = _LEXERS[key] = get_lexer_by_name(name, **options)
    return lexer


class SharedFormatters:
    """A `pygments_formatter` for codehilite that reuses one formatter per set of options.

    Codehilite calls it like a formatter class, once per code block; building an
    `HtmlFormatter` computes the style's whole CSS table, which cost more than lexing and
    formatting a short block. A formatter keeps no state between `format` calls (Sphinx
    reuses one for every block, too).
    """

    def __init__(self) -> None:
        self._made: dict[str, object] = {}

    def __call__(self, **options: object) -> object:
        key = repr(sorted(options.items()))  # repr: hl_lines is a list
        formatter = self._made.get(key)
        if formatter is None:
            from pygments.formatters import HtmlFormatter

            formatter = self._made[key] = HtmlFormatter(**options)
        return formatter
