"""`mdfast`'s speed-ups must not change a byte of Markdown's output.

They skip inline-pattern scans that cannot match and reuse Pygments formatters; a Markdown
release that changes its patterns or internals must make these tests fail, not the pages.
"""

from __future__ import annotations

import random

import pytest

from mlcollage.render import markdown_fast as mdfast
from mlcollage.render.markdown import Markup

CASES = [
    "plain words only, nothing special at all",
    "`code` and ``double `tick` code`` and \\`escaped\\` and a \\\\`tick",
    "*em* **strong** _em_ __strong__ ***both*** snake_case_word 2*3*4",
    "[link](https://example.org) ![img](a.png) [ref][r] [r] <https://a.b/c> <me@x.org>\n\n"
    "[r]: https://r.example",
    "footnote[^1] and *[HTML]: Hyper Text\n\nHTML here.\n\n[^1]: The note.",
    "line break  \nnext &amp; &#38; &copy; & alone < > <b>bold html</b>",
    "inline $x^2 + y_i$ math, a price of $5 and \\$ escaped, $$\\frac{a}{b}$$ display",
    "$$\n\\sum_i x_i\n$$\n\nafter display",
    "```python\nprint('hi')  # comment\n```\n\n```\nno language\n```\n\n```nosuchlang\nx\n```",
    "~~~{.python hl_lines=\"2\"}\na = 1\nb = 2\n~~~",
    "    :::python\n    indented = 'code'\n\n    #!python\n    shebang = 1",
    "| a | b |\n|---|---|\n| `1` | *2* |",
    "Term\n: definition with [link](x.html)\n\n<div markdown=\"1\">*inside*</div>",
    "# Heading {: #custom .cls }\n\n- item\n- item with `code`\n\n1. one\n2. two",
    "> quote with **bold** and $\\alpha$\n> second line",
    "bad TeX $\\frac{$ stays text; unicode é ü 中文 `ö`",
]

ATOMS = ["word", "x", " ", "\n", "\n\n", "  \n", "`", "``", "\\", "[", "]", "(", ")", "![",
         "[^1]", "[^1]: n", "<", ">", "<b>", "</b>", "<http://a.b/c>", "<me@x.org>", "&", "&amp;",
         "*", "**", "_", "__", "$", "$$", "$x^2$", "\\$", "# ", "- ", "1. ", "> ", "    ",
         "```", "```python\n", "~~~", ": ", "|", "---", "{: .c }", "*[HTML]: H", "HTML",
         "[r]: http://r", "[r]", "<div markdown=\"1\">", "</div>", "é"]


@pytest.fixture(scope="module")
def converters() -> tuple[Markup, Markup]:
    return Markup(fast=True), Markup(fast=False)


def test_speedups_are_installed(converters) -> None:
    fast, stock = converters
    assert type(fast._md.treeprocessors["inline"]) is mdfast.GatedInlineProcessor
    assert type(stock._md.treeprocessors["inline"]) is not mdfast.GatedInlineProcessor


@pytest.mark.parametrize("text", CASES)
def test_same_html_as_stock_markdown(converters, text: str) -> None:
    fast, stock = converters
    assert fast(text) == stock(text)


def test_same_html_on_random_documents(converters) -> None:
    fast, stock = converters
    rng = random.Random(20210201)
    for _ in range(600):
        text = "".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 50)))
        assert fast(text) == stock(text), repr(text)


def test_gates_name_only_characters_a_match_needs() -> None:
    """Each gated regex really needs one of its characters: a text without them never matches."""
    import re

    from markdown import inlinepatterns

    md = Markup(fast=False)._md
    known = {p.pattern: p for p in md.inlinePatterns if isinstance(p, inlinepatterns.InlineProcessor)}
    assert set(mdfast._NEEDS) <= set(known), "a gated pattern no longer exists in this Markdown"
    rng = random.Random(7)
    for source, chars in mdfast._NEEDS.items():
        rx = re.compile(source)
        for _ in range(300):
            text = "".join(rng.choice(ATOMS) for _ in range(20))
            if not any(c in text for c in chars):
                assert rx.search(text) is None, (source, text)


def test_a_code_block_met_before_is_not_highlighted_again(tmp_path, monkeypatch) -> None:
    """An edit around a summary's code block (the next build, a new process: a new Pygments
    lexer would be built) takes the block's HTML from the memo; the HTML is stock Markdown's."""
    from markdown.extensions import codehilite

    from mlcollage.render.markdown import Markup
    from mlcollage.state.memo import Memo

    code = "```python\ndef f(x):\n    return x * 2  # double\n```\n"
    first = "Some prose.\n\n" + code + "\nMore prose.\n"
    memo = Memo(tmp_path / "markdown-memo.pickle")
    Markup(memo=memo)(first)
    memo.save()  # the build's end; the next build reads the file
    highlighted: list[str] = []
    stock = codehilite.highlight
    monkeypatch.setattr(codehilite, "highlight",
                        lambda src, *a: highlighted.append(src) or stock(src, *a))
    md = Markup(memo=Memo(tmp_path / "markdown-memo.pickle"))
    edited = first.replace("More prose.", "More prose, edited.")
    got = md(edited)
    assert highlighted == []  # the block's HTML came from the memo
    assert got == Markup(fast=False)._convert(edited)
    for other in (code.replace("* 2", "* 3"), code.replace("```python", "```ruby")):
        highlighted.clear()
        text = first.replace(code, other)
        got = md(text)
        assert highlighted == [other.split("\n", 1)[1].rsplit("\n```", 1)[0]]  # a new block
        assert got == Markup(fast=False)._convert(text)
