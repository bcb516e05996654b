"""The two-language site in a real browser: the language switcher leads to the same entry,
every page names its alternates (hreflang), and Chinese search finds words inside sentences,
from disk and over http. Screenshots of the Chinese pages are saved (test-artifacts/)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_site import search, visit

ZH = "zh-CN/"
RAHAMAN = "2021-02/rahaman-2019-spectral-bias/index.html"
ZH_PAGES = {"zh-digest": "2021-02/index.html", "zh-rahaman": RAHAMAN,
            "zh-higgins": "2021-02/higgins-2020-semantic-disentanglement/index.html",
            "zh-oktay": "2021-02/oktay-2020-randomized-autodiff/index.html",
            "zh-kim": "2021-02/kim-2019-attentive-neural-processes/index.html"}


def test_switcher_leads_to_the_same_entry_in_the_other_language(browser, site_url) -> None:
    base, _ = site_url
    page, errors, failed, _ = visit(browser, base + RAHAMAN)
    page.click("nav a[hreflang='zh-CN']")
    page.wait_for_load_state("networkidle")
    assert page.url == base + ZH + RAHAMAN
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.text_content("h1") == "论神经网络的谱偏差"
    page.click("nav a[hreflang='en']")
    page.wait_for_load_state("networkidle")
    assert page.url == base + RAHAMAN
    assert errors == [] and failed == []
    page.context.close()


def test_every_page_names_its_alternates_and_they_exist(browser, site_url) -> None:
    base, folder = site_url
    site_path = urlsplit("https://example.org/digest/").path
    for rel in ("index.html", RAHAMAN, ZH + RAHAMAN, ZH + "tags/index.html"):
        page, *_ = visit(browser, base + rel)
        alts = page.eval_on_selector_all(
            "link[rel=alternate][hreflang]", "els => els.map(e => [e.hreflang, e.href])")
        assert {lang for lang, _ in alts} == {"en", "zh-CN", "x-default"}, (rel, alts)
        for lang, href in alts:
            path = urlsplit(href).path.removeprefix(site_path)
            assert (folder / path / "index.html").is_file(), (rel, lang, href)
        own = dict(alts)["zh-CN" if rel.startswith(ZH) else "en"]
        assert own == page.eval_on_selector("link[rel=canonical]", "e => e.href")
        page.context.close()


@pytest.mark.parametrize("where", ["http", "disk"])
def test_chinese_search_finds_words_inside_sentences(browser, site_url, where) -> None:
    base, folder = site_url
    url = base + ZH + "index.html" if where == "http" else (folder / ZH / "index.html").as_uri()
    page, errors, failed, _ = visit(browser, url)
    links = search(page, "谱偏差")
    assert any("zh-CN/2021-02/rahaman-2019-spectral-bias/" in link for link in links), links
    marks = page.eval_on_selector_all("#site-search-results mark", "els => els.map(e => e.textContent)")
    assert "谱偏差" in marks, marks  # the excerpt marks the word
    status = page.text_content("#site-search-status")
    assert "谱偏差" in status and "结果" in status, status  # announced in Chinese
    # a two-character word from the middle of a sentence of the ANP summary
    summary = (folder / ZH / "2021-02/kim-2019-attentive-neural-processes/index.html").read_text()
    assert "正是这个瓶颈让它" in summary
    page.fill("#site-search", "")
    links = search(page, "瓶颈")
    assert any("kim-2019-attentive-neural-processes" in link for link in links), links
    assert not any("rahaman" in link for link in links), links
    assert errors == [] and failed == []
    page.context.close()


def test_chinese_pages_screenshots(browser, site_url, artifacts) -> None:
    base, _ = site_url
    for name, rel in ZH_PAGES.items():
        page, errors, failed, _ = visit(browser, base + ZH + rel, viewport={"width": 1280,
                                                                             "height": 900})
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        english = page.evaluate("""() => Array.from(document.querySelectorAll(
            'nav, .crumbs, .skip-link, .takeaways, h3, summary, th, figcaption, .site-footer'))
            .map(e => e.textContent).join(' ')""")
        for word in ("Digests", "Tags", "Feed", "Takeaways", "Claims checked", "Experiment details",
                     "Skip to content", "Full size"):
            assert word not in english, (rel, word)
        assert errors == [] and failed == []
        page.context.close()


def test_switcher_works_from_disk(browser, site_url) -> None:
    _, folder = site_url
    page, errors, failed, _ = visit(browser, (folder / ZH / RAHAMAN).as_uri())
    page.click("nav a[hreflang='en']")
    page.wait_for_load_state()
    assert Path(urlsplit(page.url).path) == folder / RAHAMAN
    assert errors == [] and failed == []
    page.context.close()
