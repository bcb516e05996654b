"""Languages: catalogs complete, plural forms and dates, translations by file name, a tree per
language (golden output of the two-language fixture), and the English site unchanged by them."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from mlcollage.draw.layout import SLIDE_MESSAGES, _wrap
from mlcollage.i18n import SOURCE_LANGUAGE, catalog, shipped_languages
from mlcollage.render.pages import JS_MESSAGE, environment

from helpers import (
    EXPECTED,
    I18N_EXPECTED,
    I18N_OVERLAY,
    REPO,
    build,
    make_project,
    run_cli,
    snapshot,
)

PYTHON_CALLS = {"t": 1, "gettext": 1, "nt": 1, "ngettext": 1}
"""Catalog methods called from Python, and which argument is the msgid."""


def used_messages() -> dict[str, str]:
    """Every interface message in use -> where: templates (Jinja2's own extractor), site.js
    (`t(...)`/`tn(...)`), the slide's fixed texts and the Python callers of the catalog."""
    found: dict[str, str] = {}
    env = environment(REPO / "templates")
    for path in sorted((REPO / "templates").glob("*.*")):
        if path.suffix in (".html", ".xml"):
            for line, _, message in env.extract_translations(path.read_text()):
                found[message if isinstance(message, str) else message[0]] = f"{path.name}:{line}"
    script = (REPO / "templates/assets/site.js").read_text()
    for m in JS_MESSAGE.findall(script):
        found[json.loads(f'"{m}"')] = "site.js"
    found |= {m: "draw/layout.py SLIDE_MESSAGES" for m in SLIDE_MESSAGES}
    for path in sorted((REPO / "mlcollage").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in PYTHON_CALLS and node.args):
                arg = node.args[0]
                for value in (arg.body, arg.orelse) if isinstance(arg, ast.IfExp) else (arg,):
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found[value.value] = f"{path.relative_to(REPO)}:{node.lineno}"
    return found


def test_the_extractor_sees_each_kind_of_use() -> None:
    used = used_messages()
    for message in ("Skip to content", "%(num)d paper", "Takeaways", "Copied.",
                    "fails under %(controls)s", "Slide for “%(title)s”.", "Theme: %(mode)s"):
        assert message in used, message
    assert len(used) > 90


@pytest.mark.parametrize("lang", [x for x in shipped_languages() if x != SOURCE_LANGUAGE])
def test_catalog_has_every_message_in_use_and_nothing_else(lang: str) -> None:
    messages = catalog(lang).messages
    used = used_messages()
    missing = [f"{where}: {m!r}" for m, where in used.items() if m not in messages]
    assert missing == [], f"{lang} lacks:\n" + "\n".join(missing)
    unused = [m for m in messages if m not in used and m != "language-name"]
    assert unused == [], f"{lang} has messages nothing uses: {unused}"
    for message, text in messages.items():  # the same placeholders as the English message
        if message == "language-name":
            continue
        forms = text.values() if isinstance(text, dict) else [text]
        want = sorted(re.findall(r"%\(\w+\)[sd]", message))
        for form in forms:
            got = sorted(re.findall(r"%\(\w+\)[sd]", form))
            assert set(got) == set(want) or (set(got) <= set(want) | {"%(num)d"}), (message, form)


def test_plural_forms_and_dates_follow_cldr() -> None:
    en, zh = catalog("en"), catalog("zh-CN")
    assert en.nt("%(num)d paper", "%(num)d papers", 1) == "1 paper"
    assert en.nt("%(num)d paper", "%(num)d papers", 4) == "4 papers"
    assert zh.nt("%(num)d paper", "%(num)d papers", 1) == "1 篇论文"
    assert en.date(dt.date(2021, 2, 28)) == "February 28, 2021"
    assert zh.date(dt.date(2021, 2, 28)) == "2021年2月28日"
    assert zh.name() == "简体中文" and en.name() == "English"
    assert catalog("pl").plural_category(3) == "few"  # a language we do not ship: CLDR's rule


def two_languages(tmp_path: Path) -> Path:
    from regenerate import golden_project

    return golden_project(make_project(tmp_path / "two", overlay=I18N_OVERLAY))


@pytest.fixture(scope="module")
def built_two(tmp_path_factory) -> Path:
    """The two-language fixture, built once (its slides drawn) for the tests that only read it."""
    project = two_languages(tmp_path_factory.mktemp("i18n"))
    build(project)
    return project


def copy_of(project: Path, tmp_path: Path) -> Path:
    """A copy of a built project (figures/ included, so no slide is redrawn unless changed)."""
    return Path(shutil.copytree(project, tmp_path / "copy", symlinks=True))


def test_golden_output_of_the_two_language_site(built_two: Path) -> None:
    """The fixture with `languages: [en, zh-CN]` renders to tests/data/expected-i18n/."""
    project = built_two
    text = (".html", ".xml", ".txt", ".js", ".json")
    got = {k: v for k, v in snapshot(project / "_site").items()
           if k.endswith(text) and not k.startswith("assets/")}
    want = {k: v for k, v in snapshot(I18N_EXPECTED).items() if k.endswith(text)}
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name].decode() == want[name].decode(), f"{name} differs; run tests/regenerate.py"
    for slide in ("2020-01/alpha-2019-toy/slide.png", "2020-01/digest.pdf"):  # its own slides
        assert (project / "_site/zh-CN" / slide).read_bytes() != (project / "_site" / slide).read_bytes()
    assert (project / "figures/2020-01/alpha-2019-toy/zh-CN/slide.png").is_file()


ALTERNATES = re.compile(r'<link rel="alternate" hreflang="[^"]+" href="[^"]+">\n'
                        r'| *<li class="language">.*</li>\n')


def test_the_english_tree_differs_only_by_the_switcher_and_alternates(built_two: Path) -> None:
    one = snapshot(EXPECTED)
    two = snapshot(built_two / "_site")
    for name, data in one.items():
        if not name.endswith(".html"):
            continue
        text = data.decode()
        other = two[name].decode()
        assert ALTERNATES.sub("", other) == text, name
        if name != "404.html":  # one 404 page serves every language
            assert 'hreflang="zh-CN"' in other, name


def test_fallback_entries_are_shown_in_the_default_language_with_a_note(built_two: Path) -> None:
    project = built_two
    page = (project / "_site/zh-CN/2020-01/beta-2018-second/index.html").read_text()
    assert '<article class="paper-page" lang="en">' in page
    assert "本条目尚无中文版本，以下为英语原文。" in page and "The Second Paper" in page
    translated = (project / "_site/zh-CN/2020-01/alpha-2019-toy/index.html").read_text()
    assert "关于线性回归的玩具论文" in translated and "fallback-note" not in translated
    assert 'name="citation_title" content="A Toy Paper about Linear Regression"' in translated
    # the translation is the entry, not a file published with it
    assert not list((project / "_site").rglob("index.zh-CN.md"))


def test_a_site_catalog_overrides_a_shipped_message(built_two: Path, tmp_path: Path) -> None:
    project = copy_of(built_two, tmp_path)
    (project / "i18n").mkdir()
    (project / "i18n/zh-CN.yaml").write_text('"Copy BibTeX": 复制引用\n', encoding="utf-8")
    build(project)
    page = (project / "_site/zh-CN/2020-01/alpha-2019-toy/index.html").read_text()
    assert ">复制引用</button>" in page and 'aria-label="要点"' in page  # the rest: shipped


def test_editing_a_translation_rebuilds_like_a_cold_build(built_two: Path, tmp_path: Path) -> None:
    project = copy_of(built_two, tmp_path)
    build(project)  # the copy's own build state
    path = project / "site_src/2020-01/alpha-2019-toy/index.zh-CN.md"
    path.write_text(path.read_text().replace("玩具论文", "小玩具论文"), encoding="utf-8")
    build(project)
    page = (project / "_site/zh-CN/2020-01/alpha-2019-toy/index.html").read_text()
    assert "关于线性回归的小玩具论文" in page
    incremental = snapshot(project / "_site")
    build(project, "--no-cache", "--out", tmp_path / "cold")
    assert snapshot(tmp_path / "cold") == incremental


@pytest.mark.parametrize(("where", "text", "message"), [
    ("site.yaml", "languages: [en, zh_CN]\n", "language 'zh_CN' is not a language tag"),
    ("site.yaml", "language: fr\nlanguages: [en, zh-CN]\n", "expected the default language first"),
    ("site.yaml", "languages: [en]\ntranslations: {de: {title: X}}\n",
     "translations for 'de', which is not one of the other languages"),
    ("site.yaml", "languages: [en, zh-CN]\ntranslations: {zh-CN: {titel: X}}\n",
     "unknown field 'translations.zh-CN.titel'"),
    ("2020-01/alpha-2019-toy/index.zh-CN.md", "---\ntitle: 标题\nauthors: [A]\n---\n正文\n",
     "unknown field 'authors'"),
])
def test_bad_language_input_is_a_clear_error(project: Path, where: str, text: str,
                                             message: str) -> None:
    site = project / "site_src"
    if where == "site.yaml":
        config = (site / "site.yaml").read_text().replace("language: en\n", "")
        (site / "site.yaml").write_text(config + text)
    else:
        config = (site / "site.yaml").read_text().replace("language: en\n", "")
        (site / "site.yaml").write_text(config + "languages: [en, zh-CN]\n")
        (site / where).write_text(text, encoding="utf-8")
    def inputs_and_outputs() -> dict[str, bytes]:  # .mlcollage/ (the build lock) aside
        return {k: v for k, v in snapshot(project).items() if not k.startswith(".mlcollage/")}

    before = inputs_and_outputs()
    result = run_cli("build", "-C", project)
    assert result.code == 2, result.err
    assert message in result.err, result.err
    assert re.search(rf"{re.escape(where)}:\d+: ", result.err), result.err
    assert inputs_and_outputs() == before  # nothing written


def test_cjk_text_wraps_between_characters_not_only_at_spaces() -> None:
    title = "无监督深度学习揭示颞下皮层面部斑块单个神经元中的语义解耦，以及 β-VAE 的单元"
    lines = _wrap(title, 42, 900).split("\n")
    assert len(lines) >= 2
    assert "".join(lines).replace(" ", "") == title.replace(" ", "")
    em = 42 * 100 / 72
    assert all(sum(em if ord(c) > 0x2E80 else 0.55 * em for c in line) <= 900 + em for line in lines)
    assert not any(line.startswith(("，", "。", "、")) for line in lines)
    latin = "ReLU networks fit low frequencies first, high ones much later"
    assert _wrap(latin, 20, 400) == _wrap(latin, 20, 400)  # the Latin rule is unchanged
    assert " " not in {line[:1] for line in _wrap(latin, 20, 400).split("\n")}


def test_the_repo_site_lists_both_languages_and_every_february_entry_is_translated() -> None:
    config = (REPO / "site_src/site.yaml").read_text()
    assert "languages: [en, zh-CN]" in config
    month = REPO / "site_src/2021-02"
    for index in [month / "index.md", *month.glob("*/index.md")]:
        translated = index.with_name("index.zh-CN.md")
        assert translated.is_file(), translated
        body = translated.read_text(encoding="utf-8").split("---", 2)[2]
        assert len(re.findall(r"[\u4e00-\u9fff]", body)) > 150, translated  # written, not a stub


def test_month_translation_without_front_matter_is_reported(project: Path) -> None:
    site = project / "site_src"
    config = (site / "site.yaml").read_text().replace("language: en\n", "")
    (site / "site.yaml").write_text(config + "languages: [en, zh-CN]\n")
    (site / "2020-01/index.zh-CN.md").write_text("没有前言\n", encoding="utf-8")
    result = run_cli("build", "-C", project)
    assert result.code == 2 and "index.zh-CN.md:1: no front matter" in result.err, result.err
    shutil.rmtree(project / "_site", ignore_errors=True)


def test_new_with_a_non_latin_first_author_asks_for_a_slug(project: Path) -> None:
    args = ("new", "2021-03", "-C", project, "--title", "谱偏差研究", "--authors", "张伟; 李娜",
            "--arxiv", "2006.10739")
    result = run_cli(*args)
    assert result.code == 2
    assert "'张伟' has no Latin letters" in result.err and "--slug" in result.err, result.err
    assert not (project / "site_src/2021-03").exists()
    result = run_cli(*args, "--slug", "zhang-2020-spectral-bias")
    assert result.code == 0, result.err
    assert (project / "site_src/2021-03/zhang-2020-spectral-bias/index.md").is_file()


def test_a_chinese_slide_has_real_glyphs_and_chinese_chrome() -> None:
    """Drawn in this process with warnings as errors: a glyph missing from every font warns."""
    import warnings

    from mlcollage.draw.layout import SlideInput, draw_slide
    from mlcollage.draw.step import SLIDE_MESSAGES

    zh = catalog("zh-CN")
    inp = SlideInput(title="论神经网络的谱偏差：ReLU 网络先拟合低频，高频要晚得多", authors=("张伟",),
                     venue="ICML", year=2019, series="ML-Collage", number=1,
                     takeaways=("即使高频分量的能量更大，顺序也不变",), lang="zh-CN",
                     strings=tuple((m, zh.gettext(m)) for m in SLIDE_MESSAGES))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = draw_slide(inp)
    texts = [t.get_text() for t in fig.texts]
    assert "要点" in texts and "还没有实验" in texts
    assert "Takeaways" not in texts and "No experiment yet" not in texts
    assert any(f.startswith("Noto Sans CJK SC") for f in fig.texts[0].get_fontfamily()[1:])


def test_every_fixed_text_the_slide_looks_up_is_in_slide_messages() -> None:
    """`tr(inp, "...")` finds a translation only for messages `draw.step` passes in."""
    source = (REPO / "mlcollage/draw/layout.py").read_text()
    looked_up = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "tr" and len(node.args) > 1:
            arg = node.args[1]
            for value in (arg.body, arg.orelse) if isinstance(arg, ast.IfExp) else (arg,):
                if isinstance(value, ast.Constant):
                    looked_up.add(value.value)
    assert len(looked_up) >= 10
    assert looked_up <= set(SLIDE_MESSAGES), looked_up - set(SLIDE_MESSAGES)


def test_claims_may_carry_their_text_in_other_languages() -> None:
    from mlcollage.experiment import Claim
    from mlcollage.model import ClaimCheck

    plain = Claim("low-first", "low first: 120 < 2400", True, {"k5": 120})
    assert "statements" not in plain.to_dict()  # records without translations keep their bytes
    both = Claim("low-first", "low first: 120 < 2400", True, {"k5": 120},
                 statements={"zh-CN": "先学低频：120 < 2400"})
    assert Claim.from_dict(both.to_dict()) == both
    check = ClaimCheck("low first: 120 < 2400", 1, 1,
                       statements=tuple(both.to_dict()["statements"].items()))
    assert check.statement_in("zh-CN") == "先学低频：120 < 2400"
    assert check.statement_in("ja") == "low first: 120 < 2400"  # falls back to the default


def test_serve_quick_rebuild_of_both_trees_equals_a_cold_build(built_two: Path,
                                                               tmp_path: Path) -> None:
    """serve's quick rebuild (`mlcollage.quick`) after an edit in each tree (a translated
    summary, the default language's outro of the same month) is the cold build, byte for byte."""
    import dataclasses

    from mlcollage.options import Options
    from mlcollage.pipeline import build_site
    from mlcollage.quick import quick_rebuild
    from mlcollage.state import BuildState

    project = copy_of(built_two, tmp_path)
    opts = dataclasses.replace(Options(project=project), out=project / "served", verbosity=-1)
    state = BuildState.open(opts, {}, in_memory=True)
    build_site(opts, state=state)
    zh = project / "site_src/2020-01/alpha-2019-toy/index.zh-CN.md"
    zh.write_text(zh.read_text().replace("拟合数据", "拟合带噪声的数据"), encoding="utf-8")
    month = project / "site_src/2020-01/index.md"
    month.write_text(month.read_text().replace("The outro.", "The outro, edited."))
    assert quick_rebuild(opts, state, {str(zh): "modified", str(month): "modified"})
    assert "拟合带噪声的数据" in (project / "served/zh-CN/2020-01/alpha-2019-toy/index.html"
                                 ).read_text()
    build(project, "--no-cache", "--out", tmp_path / "cold")
    assert snapshot(project / "served") == snapshot(tmp_path / "cold")
