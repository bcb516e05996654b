"""Interface strings per language: message catalogs, plural forms and dates (CLDR via Babel).

A catalog maps an English message (the msgid, as the templates, `site.js` and the slide write it)
to its translation; a plural message maps to its CLDR forms (`{one: ..., other: ...}`). English
is the source language: a message missing from a catalog is shown as written. mlcollage ships
`mlcollage/locales/<lang>.yaml`; a site adds a language or overrides single messages with
`i18n/<lang>.yaml` beside `site_src/` (Hugo's layout). Placeholders are `%(name)s`.

Babel is imported only when a date or a plural form is needed (the render and draw steps): it
has CLDR's plural rules and date patterns for every language a site may add, which a table of
our own would have only for the two we ship.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).with_name("locales")
"""The shipped catalogs: `<lang>.yaml` (English needs none: its messages are the msgids)."""
SITE_DIR = "i18n"
"""A project's own catalogs: `<project>/i18n/<lang>.yaml`, over the shipped ones."""
SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class Catalog:
    """One language's messages; ``gettext``/``ngettext`` as Jinja2's i18n extension calls them."""

    lang: str
    messages: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    """A hash of the messages: part of every page and slide key."""

    def gettext(self, message: str) -> str:
        """The translation, placeholders left in (Jinja2's newstyle gettext fills them)."""
        text = self.messages.get(message, message)
        if isinstance(text, dict):  # a plural message used as a singular one
            text = text.get("other", message)
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The plural form for ``n`` (CLDR's rule for the language), placeholders left in."""
        forms = self.messages.get(singular)
        if isinstance(forms, dict):
            return forms.get(plural_category(self.lang, n), forms.get("other", plural))
        return singular if plural_category(SOURCE_LANGUAGE, n) == "one" else plural

    def t(self, message: str, **values: Any) -> str:
        """The translation with ``values`` filled in (for Python callers: the slide)."""
        text = self.gettext(message)
        return text % values if values else text

    def nt(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self.ngettext(singular, plural, n) % {"num": n, **values}

    def date(self, day: dt.date) -> str:
        """A long date as the language writes it: 'February 28, 2021', '2021年2月28日'."""
        def make() -> str:
            from babel.dates import format_date

            return format_date(day, "long", locale=babel_locale(self.lang))

        return _cldr(f"date\0{self.lang}\0{day.isoformat()}", make)

    def month(self, day: dt.date) -> str:
        """A month as the language writes it: 'February 2021', '2021年2月'."""
        def make() -> str:
            from babel.dates import format_skeleton

            return format_skeleton("yMMMM", day, locale=babel_locale(self.lang))

        return _cldr(f"month\0{self.lang}\0{day.isoformat()}", make)

    def name(self) -> str:
        """The language's own name, for the language switcher."""
        own = self.messages.get("language-name")
        if isinstance(own, str):
            return own

        def make() -> str:
            from babel import Locale, UnknownLocaleError

            try:
                return Locale.parse(babel_locale(self.lang)).display_name or self.lang
            except (UnknownLocaleError, ValueError):
                return self.lang

        return _cldr(f"name\0{self.lang}", make)

    def language_name(self, tag: str) -> str:
        """The name of language ``tag`` in this catalog's language ('英语' for 'en' in zh-CN)."""
        def make() -> str:
            from babel import Locale, UnknownLocaleError

            try:
                return Locale.parse(babel_locale(tag)).get_display_name(babel_locale(self.lang))
            except (UnknownLocaleError, ValueError):
                return tag

        return _cldr(f"language\0{self.lang}\0{tag}", make)

    def plural_category(self, n: int) -> str:
        return plural_category(self.lang, n)


def babel_locale(lang: str) -> str:
    """A BCP 47 tag ('zh-CN') as Babel's locale name ('zh_Hans_CN')."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(lang, sep="-"))
    except (UnknownLocaleError, ValueError):
        return SOURCE_LANGUAGE


def plural_category(lang: str, n: int) -> str:
    def make() -> str:
        from babel import Locale

        return Locale.parse(babel_locale(lang)).plural_form(abs(n))

    return _cldr(f"plural\0{lang}\0{abs(n)}", make)


_CLDR: dict[str, str] = {}
"""What Babel answered in this process, and what `remember` was given: date and month texts,
language names, plural categories. Importing Babel and reading a language's CLDR data costs
~50 ms, a fifth of a prose edit's build, which formats a few dates and plurals; the build state
keeps these answers with its snapshot (`answers`) for the next one."""


def _cldr(key: str, make: Any) -> str:
    text = _CLDR.get(key)
    if text is None:
        text = _CLDR[key] = make()
    return text


def answers() -> dict[str, str]:
    """Every CLDR text this process formatted or was given (`remember`)."""
    return dict(_CLDR)


def remember(texts: dict[str, str]) -> None:
    """Answers a build of the same Babel made (`answers`): asked again, they are not computed."""
    for key, text in texts.items():
        if isinstance(key, str) and isinstance(text, str):
            _CLDR.setdefault(key, text)


def read_catalog(path: Path) -> dict[str, Any]:
    """A catalog file: a mapping of message -> translation (or plural forms). ValueError when
    it is not one."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}:1: a catalog must map messages to translations")
    for message, text in data.items():
        ok = isinstance(text, str) or (
            isinstance(text, dict) and "other" in text
            and all(isinstance(v, str) for v in text.values())
        )
        if not isinstance(message, str) or not ok:
            raise ValueError(
                f"{path}: message {message!r}: expected a translation string or plural forms "
                "such as {one: '...', other: '...'}"
            )
    return data


def catalog(lang: str, project: Path | None = None) -> Catalog:
    """The shipped catalog of ``lang`` with the project's `i18n/<lang>.yaml` over it."""
    return _catalog(lang, str(project) if project else "", _stamp(lang, project))


def _stamp(lang: str, project: Path | None) -> tuple:
    out = []
    for path in _paths(lang, project):
        try:
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(path), None))
    return tuple(out)


def _paths(lang: str, project: Path | None) -> list[Path]:
    paths = [LOCALES / f"{lang}.yaml"]
    if project is not None:
        paths.append(Path(project) / SITE_DIR / f"{lang}.yaml")
    return paths


@functools.lru_cache(maxsize=16)
def _catalog(lang: str, project: str, stamp: tuple) -> Catalog:
    messages: dict[str, Any] = {}
    h = hashlib.blake2b(lang.encode(), digest_size=16)
    for path in _paths(lang, Path(project) if project else None):
        if path.is_file():
            data = path.read_bytes()
            h.update(data)
            messages.update(read_catalog(path))
    return Catalog(lang, messages, h.hexdigest())


def shipped_languages() -> list[str]:
    return sorted([SOURCE_LANGUAGE, *(p.stem for p in LOCALES.glob("*.yaml"))])
