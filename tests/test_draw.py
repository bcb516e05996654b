"""Slides: layout never overflows, CJK renders, derived images, determinism, caching."""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from mlcollage.draw import images
from mlcollage.draw import layout as draw
from mlcollage.draw.layout import ClaimLine, SlideInput

from helpers import build, run_cli

LONG = ("A remarkably long title that keeps going, " * 8)[:300]
TAKEAWAYS = tuple(f"Takeaway number {i}: " + "a long sentence that would never fit on one line " * 3
                  for i in range(4))


def slide(**kw) -> SlideInput:
    base = dict(title="On the Spectral Bias of Neural Networks", authors=("A", "B", "C", "D"),
                venue="ICML 2019", year=2019, series="ML-Collage", number=3,
                takeaways=("Low frequencies first", "High ones later"),
                links=(("paper", "https://arxiv.org/abs/1806.08734"),),
                claims=(ClaimLine("lower frequencies are learned first: ρ = 0.99 ≥ 0.85", True),
                        ClaimLine("a claim that failed: 0.2 ≥ 0.5", False)),
                footer="seed 0 · cpu · 48 s · reproduced by mlcollage")
    return SlideInput(**(base | kw))


def text_boxes(fig):
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in fig.texts if t.get_text()]


def test_long_title_and_takeaways_stay_inside_their_boxes() -> None:
    fig = draw.draw_slide(slide(title=LONG, takeaways=TAKEAWAYS,
                                claims=tuple(ClaimLine("claim " + "with many words " * 12, True)
                                             for _ in range(4))))
    fig.canvas.draw()
    boxes = text_boxes(fig)
    for text, box in boxes:
        assert box.x0 >= 0 and box.x1 <= draw.W and box.y0 >= 0 and box.y1 <= draw.H, text[:40]
    title = next(b for t, b in boxes if t.startswith("A remarkably"))
    assert title.y0 >= 0.745 * draw.H  # never runs into the authors line / body
    assert title.x1 <= 0.97 * draw.W + 2
    body = [b for t, b in boxes if t.startswith(("Takeaway number", "claim with"))]
    assert body and all(b.x1 <= 0.975 * draw.W for b in body)
    assert all(b.y0 >= 0.07 * draw.H for b in body)  # nothing runs into the footer


def test_cjk_title_renders_without_missing_glyph_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = draw.draw_slide(slide(title="神经网络的频谱偏差：低频先学会", takeaways=("低频率先被拟合", "高频率后被拟合")))
        png = draw.figure_png(fig)
    from matplotlib import font_manager

    assert any("CJK" in f.name for f in font_manager.fontManager.ttflist)
    assert Image.open(io.BytesIO(png)).size == (1920, 1080)


def test_cjk_glyphs_are_not_boxes() -> None:
    """The same CJK string drawn twice with different characters gives different pixels
    (tofu boxes would be identical)."""
    def render(text):
        fig = draw.draw_slide(slide(title=text))
        im = Image.open(io.BytesIO(draw.figure_png(fig))).convert("L").crop((40, 60, 1000, 180))
        return im.tobytes()
    assert render("频谱偏差") != render("注意力机")


def test_derived_image_sizes() -> None:
    png = draw.figure_png(draw.draw_slide(slide()))
    assert Image.open(io.BytesIO(images.card(png))).size == (1200, 630)
    thumbs = images.thumbnails(png)
    assert sorted(thumbs) == [480, 960]
    for width, data in thumbs.items():
        im = Image.open(io.BytesIO(data))
        assert im.format == "WEBP" and im.size == (width, width * 9 // 16)


def test_same_input_same_bytes() -> None:
    a, b = draw.draw_slide(slide()), draw.draw_slide(slide())
    assert draw.figure_png(a) == draw.figure_png(b)
    assert draw.figure_pdf(a) == draw.figure_pdf(b)
    meta = {"mlcollage:key": "abc", "mlcollage:seed": "0"}
    assert images.png_with_text(draw.figure_png(a), meta) == images.png_with_text(draw.figure_png(b), meta)


def test_header_leaves_no_empty_band_and_long_claims_all_fit() -> None:
    """The rule sits just under the authors; seven long claims with seeds and controls all fit
    the claims box at 9 pt or more (the takeaways and then the column give them room)."""
    from mlcollage.draw.legibility import MIN_PT

    claims = tuple(ClaimLine("a claim with its deciding numbers: " + "ρ = 0.99 ≥ 0.85, " * 6,
                             True, 3, 3, "fails under untrained, uniform-attention")
                   for _ in range(7))
    fig = draw.draw_slide(slide(claims=claims, takeaways=TAKEAWAYS))
    fig.canvas.draw()
    boxes = dict(text_boxes(fig))
    authors = boxes["A, B, C et al."]
    rule = fig.lines[0].get_ydata()[0] * draw.H
    assert 0 < authors.y0 - rule < 0.03 * draw.H  # no band between the authors and the body
    shown = [t for t in fig.texts if t.get_text().startswith("a claim with")]
    assert len(shown) == 7 and all(t.get_fontsize() >= MIN_PT for t in shown)
    assert fig.mlcollage_notes == []
    box = next(p for p in fig.patches if type(p).__name__ == "FancyBboxPatch")
    bottom = box.get_window_extent(fig.canvas.get_renderer()).y0
    assert all(boxes[t.get_text()].y0 >= bottom for t in shown)  # inside the box: no overflow


def test_text_only_slide() -> None:
    fig = draw.draw_slide(slide(claims=(), summary="A summary shown instead of panels."))
    texts = [t.get_text() for t in fig.texts]
    assert any("A summary shown" in t for t in texts) and "No experiment yet" in texts


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])  # 5: the paper's figure beside four panels
def test_panel_layout_by_count(n: int) -> None:
    rects = draw.panel_rects(n, (0.02, 0.1, 0.64, 0.62))
    assert len(rects) == n
    for x, y, w, h in rects:
        assert 0.02 <= x and x + w <= 0.66 + 1e-9 and 0.1 <= y and y + h <= 0.72 + 1e-9 and w > 0.14 and h > 0.2
    for i, a in enumerate(rects):  # no two panels overlap
        for b in rects[i + 1:]:
            assert a[0] + a[2] <= b[0] + 1e-9 or b[0] + b[2] <= a[0] + 1e-9 or a[1] + a[3] <= b[1] + 1e-9 or b[1] + b[3] <= a[1] + 1e-9


def test_build_writes_slides_cards_thumbs_pdf(project: Path) -> None:
    build(project)
    fig = project / "figures/2020-01/alpha-2019-toy"
    meta = images.png_text((fig / "slide.png").read_bytes())
    assert len(meta["mlcollage:key"]) == 64 and meta["mlcollage:seed"] == "0,1,2"
    assert "torch" in meta["mlcollage:versions"]
    site = project / "_site/2020-01"
    for name in ("slide.png", "slide.pdf", "card.png", "thumb-480.webp", "thumb-960.webp"):
        assert (site / "alpha-2019-toy" / name).is_file()
        assert (site / "beta-2018-second" / name).is_file()  # text-only slide
    pdf = (site / "digest.pdf").read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3  # the title page, then the two slides
    title_page = reader.pages[0].extract_text()
    assert "1." in title_page and "A Toy Paper about Linear Regression" in title_page
    for page, slug in zip(reader.pages[1:], ("alpha-2019-toy", "beta-2018-second"), strict=True):
        # vector: the slide's own PDF page, its text is text, not pixels
        assert (site / slug / "index.html").is_file() and "Takeaways" in page.extract_text()
    assert not re.search(rb"/CreationDate\s*\(D:20[3-9]", pdf)  # dated by the digest
    digest = (site / "index.html").read_text()
    assert 'href="digest.pdf"' in digest and "thumb-480.webp 480w" in digest
    paper = (site / "alpha-2019-toy/index.html").read_text()
    assert 'property="og:image" content="https://example.org/fixture/2020-01/alpha-2019-toy/card.png"' in paper


def test_slides_redrawn_only_when_their_inputs_change(project: Path) -> None:
    build(project)
    figs = project / "figures/2020-01"
    stamp = {p: (figs / p / "slide.png").stat().st_mtime_ns for p in ("alpha-2019-toy", "beta-2018-second")}
    build(project)
    assert {p: (figs / p / "slide.png").stat().st_mtime_ns for p in stamp} == stamp
    index = project / "site_src/2020-01/beta-2018-second/index.md"
    index.write_text(index.read_text().replace("tags: [toy]", "tags: [toy]\ntakeaways: [A new takeaway]"))
    build(project)
    assert (figs / "alpha-2019-toy/slide.png").stat().st_mtime_ns == stamp["alpha-2019-toy"]
    assert (figs / "beta-2018-second/slide.png").stat().st_mtime_ns != stamp["beta-2018-second"]


def test_paper_figure_is_a_panel_with_its_credit_and_its_alt_text_on_the_page(project: Path) -> None:
    from regenerate import golden_project

    build(golden_project(project))  # the frozen fixture results: nothing runs
    credit = "Figure 1 of Alpha et al. 2019, CC BY 4.0"
    site = project / "_site/2020-01/alpha-2019-toy"
    slide_text = PdfReader(site / "slide.pdf").pages[0].extract_text()
    assert credit in " ".join(slide_text.split()) and "The paper's figure" in slide_text
    page = (site / "index.html").read_text()
    alt = "Noisy points scattered around a rising straight line, with the least-squares fit through them"
    assert f'<img src="figure1.png" alt="{alt}"' in page
    assert f"<figcaption>The paper&#39;s figure: {credit}</figcaption>" in page
    assert (site / "figure1.png").read_bytes() == (project / "site_src/2020-01/alpha-2019-toy/figure1.png").read_bytes()
    check_slides_writes_a_contact_sheet_and_reports_recorded_findings(project)


def check_slides_writes_a_contact_sheet_and_reports_recorded_findings(project: Path) -> None:
    """`check --slides` on a built project (shares the build above: drawing is the cost)."""
    record = project / "figures/2020-01/alpha-2019-toy/slide.json"
    assert json.loads(record.read_text())["legibility"] == []  # the fixture's slides pass
    result = run_cli("check", "-C", project, "--slides", project / "sheets")
    assert result.code == 0, result.err
    with Image.open(project / "sheets/2020-01.png") as im:  # two slides at 480 px, side by side
        assert im.width == 2 * 480 + 3 * 24 and im.height > 270
    assert (project / "sheets/2019-12.png").is_file()
    # a finding recorded when the slide was drawn is reported again, and fails under --strict
    data = json.loads(record.read_text())
    record.write_text(json.dumps(data | {"legibility": ["panel 'X': text 'y' is 6 pt; ..."]}))
    result = run_cli("check", "-C", project, "--slides", project / "sheets", "--strict")
    assert result.code == 1
    assert "alpha-2019-toy/index.md: slide: panel 'X': text 'y' is 6 pt" in result.err
    # and the draw step reports it under --strict, though the slide is current and not redrawn
    from mlcollage.content.load import load
    from mlcollage.draw.step import draw_stale
    from mlcollage.options import Options
    from mlcollage.run.plan import frozen_outcomes
    from mlcollage.run.store import Store

    opts = Options(project=project)
    site, store = load(opts), Store(opts.figures)
    outcomes = frozen_outcomes(site, store, "full")
    *_, warnings, drawn, _ = draw_stale(site, outcomes, store, "full", 1, str, recorded=True)
    assert drawn == 0
    assert [w for w in warnings if "'X'" in w] == [
        f"{project}/site_src/2020-01/alpha-2019-toy/index.md: slide: panel 'X': text 'y' is 6 pt; ..."]
    assert draw_stale(site, outcomes, store, "full", 1, str)[2] == []  # without: quiet


@pytest.mark.slow
def test_a_new_paper_figure_redraws_the_slide(project: Path) -> None:
    from regenerate import golden_project

    build(golden_project(project))
    slide = project / "figures/2020-01/alpha-2019-toy/slide.png"
    before = slide.read_bytes()
    figure = project / "site_src/2020-01/alpha-2019-toy/figure1.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(figure)
    build(project)
    assert slide.read_bytes() != before  # the key hashes the figure's bytes, not its path
