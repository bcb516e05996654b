"""`mlcollage.text`: the small text helpers the slides and pages share."""

from __future__ import annotations

import re
import unicodedata

from mlcollage.text import is_wide, shorten

# the character class `is_wide` was before it became code point ranges
WIDE_RE = re.compile(r"[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
                     r"\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")


def test_is_wide_is_the_character_class_it_replaced_on_every_code_point() -> None:
    differ = [hex(c) for c in range(0x110000) if is_wide(chr(c)) != bool(WIDE_RE.match(chr(c)))]
    assert differ == []


def test_wide_characters_are_east_asian_wide_or_full_width() -> None:
    for char in "汉字かなカナ한글，。（）":
        assert is_wide(char) and unicodedata.east_asian_width(char) in "WF", char
    for char in "aZ9 é—…ß":
        assert not is_wide(char), char


def test_shorten_breaks_cjk_anywhere_and_latin_at_a_word() -> None:
    assert shorten("一二三四五六七八九十", 5).endswith("…") and len(shorten("一二三四五六七八九十", 5)) <= 5
    assert shorten("alpha beta gamma delta", 12) == "alpha beta…"
