"""The published site in a real browser: every page loads cleanly and accessibly, search and the
theme toggle work, and screenshots are saved for people to look at (test-artifacts/)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

PAGES = {"home": "index.html", "digest": "2021-02/index.html",
         "paper": "2021-02/rahaman-2019-spectral-bias/index.html"}


def all_pages(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))


def visit(browser, url: str, **context):
    """Open ``url``; return (page, console errors, failed requests, outside requests)."""
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    errors, failed, outside = [], [], []
    origin = urlsplit(url).netloc
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: outside.append(r.url)
            if urlsplit(r.url).netloc not in (origin, "") and not r.url.startswith("data:") else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors, failed, outside


def test_every_page_loads_cleanly_and_accessibly(browser, site_url, axe_source) -> None:
    base, folder = site_url
    pages = all_pages(folder)
    assert len(pages) >= 10
    problems = []
    for rel in pages:
        if rel == "404.html":
            continue  # checked below at a missing address, where it is served
        page, errors, failed, outside = visit(browser, base + rel)
        page.evaluate("() => document.querySelectorAll('img[loading=lazy]')"
                      ".forEach(i => { i.loading = 'eager'; })")  # load the lazy images too
        page.wait_for_load_state("networkidle")
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)",
                               timeout=15000)
        broken = page.evaluate("""() => Array.from(document.images)
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src)""")
        page.add_script_tag(content=axe_source)
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ': ' + v.help + ' [' + v.nodes.length + ']'); }""")
        for kind, items in (("console error", errors), ("failed request", failed),
                            ("request outside the site", outside), ("image not loaded", broken),
                            ("axe", result)):
            problems += [f"{rel}: {kind}: {item}" for item in items]
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_404_page_works_from_a_missing_address(browser, site_url) -> None:
    base, folder = site_url
    # a static host serves 404.html at any missing address: its links must be absolute
    page, errors, failed, _ = visit(browser, base + "404.html")
    hrefs = page.eval_on_selector_all("link[rel=stylesheet], a.brand", "els => els.map(e => e.getAttribute('href'))")
    assert all(h.startswith("/digest/") for h in hrefs), hrefs
    page.context.close()


def search(page, words: str) -> list[str]:
    """Type ``words`` into the search box (reached by keyboard); return the result links."""
    page.focus("#site-search")
    page.keyboard.type(words)
    page.wait_for_selector("#site-search-results a", timeout=10000)
    return page.eval_on_selector_all("#site-search-results a", "els => els.map(e => e.href)")


def test_search_finds_a_paper_by_a_word_of_its_summary(browser, site_url, artifacts) -> None:
    base, _ = site_url
    page, errors, failed, outside = visit(browser, base + PAGES["paper"])
    links = search(page, "memorise")
    assert any("rahaman-2019-spectral-bias" in link for link in links), links
    assert all(link.startswith(base) for link in links)  # results stay under the sub-path
    marks = page.eval_on_selector_all("#site-search-results mark", "els => els.map(e => e.textContent)")
    assert marks and all(m.lower().startswith("memori") for m in marks), marks  # excerpt highlights
    status = page.text_content("#site-search-status")
    assert status.endswith("for “memorise”") and "result" in status  # announced to screen readers
    page.screenshot(path=str(artifacts / "search-open.png"))
    page.keyboard.press("ArrowDown")  # into the results by keyboard, Enter follows the link
    assert page.evaluate("() => document.activeElement.closest('#site-search-results') !== null")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "/2021-02/" in page.url
    assert errors == [] and failed == [] and outside == []
    page.context.close()


def test_search_narrows_with_each_word_and_says_when_nothing_matches(browser, site_url) -> None:
    base, _ = site_url
    page, errors, *_ = visit(browser, base + PAGES["home"])
    everything = search(page, "neural")
    page.keyboard.type(" attentive")  # all words must match: fewer results, the ANP paper first
    page.wait_for_function("n => document.querySelectorAll('#site-search-results a').length < n",
                           arg=len(everything), timeout=5000)
    first = page.eval_on_selector("#site-search-results a", "a => a.href")
    assert "kim-2019-attentive-neural-processes" in first, first
    page.fill("#site-search", "zzzqqq")
    page.wait_for_function("() => document.querySelector('#site-search-results').hidden")
    assert page.text_content("#site-search-status") == "No results for “zzzqqq”"
    page.keyboard.press("Escape")
    assert errors == []
    page.context.close()


def test_search_works_on_the_site_opened_from_disk(browser, site_url) -> None:
    _, folder = site_url
    page, errors, failed, _ = visit(browser, (folder / PAGES["digest"]).as_uri())
    links = search(page, "randomized")
    assert any("oktay" in link and link.startswith("file://") for link in links), links
    assert errors == [] and failed == []
    page.context.close()


def test_theme_toggle_cycles_system_light_dark_by_keyboard(browser, site_url) -> None:
    base, _ = site_url
    page, *_ = visit(browser, base + PAGES["paper"], color_scheme="light")
    background = "() => getComputedStyle(document.documentElement).backgroundColor"
    light = page.evaluate(background)
    toggle = page.locator("button.theme-toggle")
    assert toggle.inner_text() == "Theme: system"
    toggle.focus()
    page.keyboard.press("Enter")  # system -> light
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    page.keyboard.press("Enter")  # light -> dark
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) != light
    page.reload()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"  # remembered
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(browser, site_url, artifacts, scheme: str, width: int) -> None:
    base, _ = site_url
    for name, rel in PAGES.items():
        page, errors, failed, _ = visit(browser, base + rel, color_scheme=scheme,
                                        viewport={"width": width, "height": 900})
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{rel} scrolls sideways at {width}px"
        page.screenshot(path=str(artifacts / f"{name}-{width}-{scheme}.png"), full_page=width < 1000)
        page.context.close()
        assert errors == [] and failed == []


def test_math_renders_as_mathml(browser, site_url, tmp_path) -> None:
    """A summary's $...$ becomes MathML that the browser lays out (non-zero size)."""
    from helpers import make_project, run_cli

    project = make_project(tmp_path / "proj")
    index = project / "site_src/2020-01/beta-2018-second/index.md"
    index.write_text(index.read_text() + "\nThe loss $\\mathcal{L} = \\sum_i (y_i - \\hat y_i)^2$.\n\n"
                     "```python\nprint('hi')\n```\n")
    assert run_cli("build", "-C", project, "--no-run").code in (0, 1)
    assert run_cli("build", "-C", project).code == 0
    page, errors, failed, _ = visit(browser, (project / "_site/2020-01/beta-2018-second/index.html").as_uri())
    box = page.eval_on_selector("math", "m => m.getBoundingClientRect().width")
    assert box > 20
    assert page.locator(".highlight .nb").first.inner_text() == "print"
    page.context.close()
