"""The draw step: which slides are stale, drawing them in worker processes, the digest PDFs.

A slide is cached like a result: `slide.json` beside it records the key of everything it was
drawn from (the paper's header fields, the result, the experiment's panel code, the style), and
is written last, so an interrupted draw is simply redrawn.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcollage.content.source import caveat
from mlcollage.draw.images import THUMB_WIDTHS
from mlcollage.draw.layout import SLIDE_MESSAGES, STYLE, ClaimLine, SlideInput
from mlcollage.files import atomic_write
from mlcollage.i18n import Catalog, catalog
from mlcollage.model import (
    BuildFailed,
    ClaimCheck,
    Digest,
    Outcome,
    Paper,
    PaperImages,
    Site,
    repr_hash,
    series_numbers,
)
from mlcollage.options import Options
from mlcollage.run.store import Store, canonical_json, local_sources
from mlcollage.state.keys import importable, versions
from mlcollage.state.memo import Memo, installed, stat_key

SLIDE_PNG, SLIDE_PDF, CARD_PNG, DIGEST_PDF = "slide.png", "slide.pdf", "card.png", "digest.pdf"
THUMBS = tuple((w, f"thumb-{w}.webp") for w in THUMB_WIDTHS)
KEY_FILE = "slide.json"
IMAGES = PaperImages(slide=SLIDE_PNG, slide_vector=SLIDE_PDF, card=CARD_PNG, thumbs=THUMBS)


PIXEL_CODE = tuple(
    Path(__file__).with_name(n) for n in ("layout.py", "images.py", "legibility.py", "digest.py")
)


@dataclass(frozen=True)
class DrawJob:
    inp: SlideInput
    folder: str
    key: str
    meta: dict[str, str]


@functools.cache  # per process, like `code_key`
def _code_hash() -> str:
    h = hashlib.sha256()
    for path in (*PIXEL_CODE, STYLE):  # the code that decides the pixels; not this module
        h.update(path.read_bytes())
    for version in installed("matplotlib", "pillow").values():
        h.update(version.encode())  # ('' when not installed: as before, nothing)
    return h.hexdigest()


def compact_control(claim: ClaimCheck, messages: Catalog | None = None) -> str:
    """The slide's short form of a claim's controls ('' when none is declared)."""
    m = messages or Catalog("en")
    held = [k for k in claim.controls if k.holds is True]
    if held:  # the page has the labels and numbers; the slide names the controls
        return m.t("STILL HOLDS under %(controls)s", controls=", ".join(k.name for k in held))
    broke = [k for k in claim.controls if k.broke]
    if broke:
        return m.t("fails under %(controls)s", controls=", ".join(k.name for k in broke))
    if claim.kind == "expected":
        return m.t("expected cost, not evidence")
    return m.t("control not run") if claim.controls else ""


def slide_input(
    paper: Paper,
    outcome: Outcome | None,
    number: int,
    series: str,
    run_folder: Path | None,
    summary: str,
    seed_folders: tuple[Path, ...] = (),
    messages: Catalog | None = None,
) -> SlideInput:
    m = messages or Catalog("en")
    claims = tuple(
        ClaimLine(c.statement_in(m.lang), c.reproduced, c.holds_in, c.n_seeds,
                  compact_control(c, m), c.control_failed)
        for c in (outcome.claims if outcome else ())
    )
    footer = "mlcollage"
    if outcome and outcome.provenance:
        prov = outcome.provenance
        footer = m.t(
            "seed %(seeds)s · %(device)s · %(wall)s s%(quick)s · reproduced by mlcollage",
            seeds=",".join(str(s) for s in outcome.seeds),
            device=prov.get("device", "cpu").split(" (")[0],
            wall=f"{prov.get('wall_s', 0):.0f}",
            quick=m.t(" · quick mode") if outcome.mode == "quick" else "",
        )
    return SlideInput(
        title=paper.title,
        authors=paper.authors,
        venue=paper.venue,
        year=paper.year,
        series=series,
        number=number,
        takeaways=paper.takeaways,
        links=paper.links,
        claims=claims,
        footer=footer,
        summary=summary if paper.experiment is None else "",
        script=str(paper.experiment.path) if paper.experiment and run_folder else "",
        run_folder=str(run_folder) if run_folder else "",
        seed_folders=tuple(str(f) for f in seed_folders),
        status=outcome.status if outcome and (outcome.status == "failed" or outcome.stale) else "",
        figure=str(paper.folder / paper.figure.file) if paper.figure else "",
        figure_title=(paper.figure.title or m.gettext("The paper's figure")) if paper.figure
        else "",
        figure_credit=paper.figure.credit if paper.figure else "",
        lang=m.lang,
        strings=tuple((s, m.gettext(s)) for s in SLIDE_MESSAGES if m.gettext(s) != s),
    )


def slide_key(inp: SlideInput, result_key: str, code: str) -> str:
    h = hashlib.sha256(code.encode())
    fields = {f.name: getattr(inp, f.name) for f in dataclasses.fields(inp)}  # asdict, but fast:
    fields |= {"claims": [dataclasses.asdict(c) for c in inp.claims]}  # the one nested dataclass
    fields |= {"run_folder": "", "script": "", "seed_folders": len(inp.seed_folders),
               "figure": ""}  # not paths: the figure's bytes instead
    h.update(canonical_json(fields).encode())
    if inp.figure:
        h.update(hashlib.sha256(Path(inp.figure).read_bytes()).digest())
    h.update(result_key.encode())
    if inp.script:
        for path in local_sources(Path(inp.script)):
            h.update(path.read_bytes())
    return h.hexdigest()


def draw_figure(inp: SlideInput) -> tuple[Any, list[str]]:
    """The slide's Figure, and the warnings: a failed `panels()`, then the legibility rules'
    findings, each prefixed with the file to change (the experiment, or the paper's index.md)."""
    from mlcollage.draw import layout as draw
    from mlcollage.draw.legibility import check_figure

    warnings, panels, caveat = [], None, ""
    if inp.script and inp.run_folder:
        try:
            folders = [Path(f) for f in inp.seed_folders] or [Path(inp.run_folder)]
            panels, caveat = _panels(Path(inp.script), folders)
        except Exception as exc:  # noqa: BLE001 - a text-only slide and a warning instead
            warnings.append(f"{inp.script}: panels() failed: {type(exc).__name__}: {exc}")
    fig = draw.draw_slide(inp, panels, caveat)
    findings = fig.mlcollage_notes + check_figure(fig, fig.mlcollage_cells)
    return fig, warnings + [legibility_warning(inp, f) for f in findings]


def legibility_warning(inp: SlideInput, finding: str) -> str:
    """A rule's finding as a warning that names the experiment (or the paper) to change."""
    return f"{inp.script or inp.title}: slide: {finding.removeprefix('slide: ')}"


def draw_one(job: DrawJob) -> list[str]:
    """Draw and write one paper's slide files; return its warnings. Runs in a worker."""
    from mlcollage.draw import images
    from mlcollage.draw import layout as draw

    fig, warnings = draw_figure(job.inp)
    png = images.png_with_text(draw.figure_png(fig), job.meta)
    folder = Path(job.folder)
    atomic_write(folder / SLIDE_PNG, png)
    atomic_write(folder / SLIDE_PDF, draw.figure_pdf(fig))
    atomic_write(folder / CARD_PNG, images.card(png))
    for width, data in images.thumbnails(png).items():
        atomic_write(folder / f"thumb-{width}.webp", data)
    findings = [w.split(": slide: ", 1)[1] for w in warnings if ": slide: " in w]
    record = {"key": job.key, "legibility": findings}  # `check --slides` reports them again
    atomic_write(folder / KEY_FILE, (json.dumps(record, ensure_ascii=False) + "\n").encode())
    return warnings


def _panels(script: Path, folders: list[Path]) -> tuple[list[Any], str]:
    """The experiment's panels of the first seed's result (and every seed's, for spread)."""
    from mlcollage.experiment import call_panels, check_panels, load_experiment

    module = load_experiment(script)
    runs = [_stored_result(folder) for folder in folders]
    panels = check_panels(call_panels(module, runs[0], runs), f"{script}: panels()")
    return panels, caveat(script)


def _stored_result(folder: Path) -> dict[str, Any]:
    from mlcollage.experiment import decode_result

    record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    arrays = {}
    if record.get("arrays"):
        import numpy as np

        with np.load(folder / record["arrays"], allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    return decode_result(record["result"], arrays)


@dataclass(frozen=True)
class Slides:
    """What the draw step made: image files per paper (in `figures/`), digest PDFs, warnings."""

    images: dict[str, PaperImages]
    pdfs: dict[str, Path]
    """month -> the digest's PDF."""
    warnings: list[str]
    drawn: int
    """Slides and PDFs drawn by this build (0: `figures/` is as it was)."""
    langs: dict[str, tuple[dict[str, PaperImages], dict[str, Path]]] = dataclasses.field(
        default_factory=dict)
    """Another language's images and PDFs (in `figures/<month>/<slug>/<lang>/`)."""

    def for_language(self, lang: str) -> tuple[dict[str, PaperImages], dict[str, Path]]:
        return self.langs.get(lang, (self.images, self.pdfs))


def draw_step(
    site: Site, outcomes: dict[str, Outcome], store: Store, opts: Options, slide_keys: Memo,
    md: Callable[[str], str], numbers: dict[str, int] | None = None,
) -> Slides:
    """Draw what is stale; warnings are printed, and fail the build under --strict.
    ``numbers``: the series numbers when ``site`` is a part of the site (serve's quick rebuild
    of a few months), else `series_numbers(site)`."""
    images, pdfs, warnings, drawn, langs = draw_stale(
        site, outcomes, store, opts.mode, opts.jobs, md, opts.force, slide_keys,
        opts.project, recorded=opts.strict, numbers=numbers)
    slides = Slides(images, pdfs, warnings, drawn, langs)
    for warning in slides.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if slides.warnings and opts.strict:
        raise BuildFailed(f"--strict: {len(slides.warnings)} warning(s)")
    return slides


def draw_stale(
    site: Site,
    outcomes: dict[str, Outcome],
    store: Store,
    mode: str,
    n_jobs: int,
    md: Callable[[str], str],
    force: bool = False,
    stored: Memo | None = None,
    project: Path | None = None,
    recorded: bool = False,
    numbers: dict[str, int] | None = None,
) -> tuple[dict[str, PaperImages], dict[str, Path], list[str], int, dict[str, Any]]:
    """Draw what is stale; return images per slug (paths in `figures/`), digest PDFs, warnings,
    how many slides and PDFs were drawn (0: `figures/` is as it was), and per other language
    its (images, PDFs): each language has its own slides, drawn from the same results.

    ``md`` converts a summary's Markdown (a slide without a run shows the summary's text);
    ``stored`` remembers the key each `slide.json`/`digest.json` records, by the files' stat,
    and the key of each slide without a run, by a hash of its inputs. With ``recorded`` (under
    --strict), a slide that is current still reports the legibility findings its `slide.json`
    recorded when it was drawn.
    """
    stored = stored or Memo(None)
    numbers = numbers if numbers is not None else series_numbers(site)
    series = site.config.series
    code = _code_hash()
    jobs: list[DrawJob] = []
    cached: list[str] = []  # legibility findings the current slides recorded (``recorded``)
    plans = []
    for lang_site in site.languages():
        messages = catalog(lang_site.lang, project)
        sub = "" if lang_site is site else lang_site.lang
        plans.append((lang_site, sub, messages, _plan_language(
            lang_site, sub, messages, outcomes, store, mode, md, force, stored, numbers, series,
            code, jobs, cached if recorded else None)))
    undrawn: set[str] = set()  # folders
    if jobs and not can_draw():  # publishing without the `run` extra: pages without those slides
        undrawn = {j.folder for j in jobs}
        names = sorted({os.path.relpath(f, store.root) for f in undrawn})
        warnings = [f"{len(jobs)} slide(s) not drawn ({', '.join(names)}): drawing "
                    "needs matplotlib, Pillow and pypdf; install them with "
                    "`pip install 'mlcollage[run]'`"
                    " (or commit the slides in figures/ from a machine that has them)"]
        jobs = []
    else:
        warnings = _run(jobs, n_jobs)  # now every slide.json records its key
    warnings += cached
    drawn, out = len(jobs), []
    for lang_site, sub, messages, (images, folders, keys) in plans:
        missing = {slug for slug, f in folders.items() if str(f) in undrawn}
        images |= {slug: PaperImages() for slug in missing}
        pdfs = {}
        for d in lang_site.digests:
            if d.papers and not missing.intersection(p.slug for p in d.papers):
                pdfs[d.month], redrawn = _digest_pdf(d, folders, keys, store, mode, stored,
                                                     series, messages, sub)
                drawn += redrawn
        out.append((lang_site.lang, images, pdfs))
    langs = {lang: (images, pdfs) for lang, images, pdfs in out[1:]}
    return out[0][1], out[0][2], warnings, drawn, langs


def _plan_language(
    site: Site, sub: str, messages: Catalog, outcomes: dict[str, Outcome], store: Store,
    mode: str, md: Callable[[str], str], force: bool, stored: Memo,
    numbers: dict[str, tuple[int, int]], series: str, code: str, jobs: list[DrawJob],
    cached: list[str] | None = None,
) -> tuple[dict[str, PaperImages], dict[str, Path], dict[str, str]]:
    """One language's slides: add a job for each stale one (and to ``cached`` the findings each
    current one recorded); its images, folders and keys."""
    from mlcollage.draw.contact import recorded_findings

    images, folders, keys = {}, {}, {}
    for paper in site.papers:
        folder = store.folder(paper, mode)
        folder = folder / sub if sub else folder
        folders[paper.slug] = folder
        outcome = outcomes.get(paper.slug)
        run_folder, seed_folders = None, ()
        if outcome and outcome.claims and paper.experiment:
            seed_folders = tuple(store.run_folder(paper, s, mode, i == 0)
                                 for i, s in enumerate(outcome.seeds))
            run_folder = seed_folders[0]
        number = numbers[paper.slug]
        rkey = outcome.provenance.get("key", "") if outcome else ""
        # every seed's and control's numbers reach the slide through the claims
        claims_key = repr_hash(outcome.claims) if outcome else ""
        # with a run, the key also hashes the experiment's sources: always computed
        by_inputs = None if run_folder else repr_hash(
            (paper.digest, outcome, number, series, code, messages.key))
        key, inp = stored.get(f"inputs:{folder}", by_inputs), None
        if key is None:
            inp = _input(paper, outcome, number, series, run_folder, md, seed_folders, messages)
            key = slide_key(inp, rkey + claims_key, code)
            stored.put(f"inputs:{folder}", by_inputs, key)
        keys[paper.slug] = key
        images[paper.slug] = IMAGES
        if force or _current_key(folder, KEY_FILE, SLIDE_PNG, stored) != key:
            inp = inp or _input(paper, outcome, number, series, run_folder, md, seed_folders,
                                messages)
            meta = {
                "mlcollage:key": rkey,
                "mlcollage:slide-key": key,
                "mlcollage:seed": ",".join(str(s) for s in (outcome.seeds if outcome else ())),
                "mlcollage:versions": canonical_json(versions()),
                "Software": "mlcollage",
            }
            jobs.append(DrawJob(inp, str(folder), key, meta))
        elif cached is not None:
            cached += [f"{paper.source}: slide: {f}" for f in recorded_findings(folder)]
    return images, folders, keys


def can_draw() -> bool:
    """Whether matplotlib, Pillow and pypdf are installed (the `run` extra); found, not
    imported."""
    return importable("matplotlib", "PIL", "pypdf")


def _input(
    paper: Paper,
    outcome: Outcome | None,
    number: int,
    series: str,
    run_folder: Path | None,
    md: Any,
    seed_folders: tuple[Path, ...] = (),
    messages: Catalog | None = None,
) -> SlideInput:
    from mlcollage.text import plain_text, shorten

    summary = shorten(plain_text(md(paper.summary_md)), 700)
    return slide_input(paper, outcome, number, series, run_folder, summary, seed_folders,
                       messages)


def _stored_key(path: str) -> str:
    """The key recorded in a `slide.json` / `digest.json` ('' when absent or unreadable)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)["key"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _current_key(folder: Path, key_file: str, made: str, stored: Memo) -> str:
    """The key ``folder/key_file`` records, '' when there is none or ``made`` is missing."""
    key_path, made_path = os.path.join(folder, key_file), os.path.join(folder, made)
    stat = stat_key(key_path, made_path)
    key = stored.get(key_path, stat)
    if key is None:
        key = _stored_key(key_path) if os.path.isfile(made_path) else ""
        if key:
            stored.put(key_path, stat, key)
    return key


def _run(jobs: list[DrawJob], n_jobs: int) -> list[str]:
    if not jobs:
        return []
    if len(jobs) == 1 or n_jobs <= 1:
        return [w for ws in map(draw_one, jobs) for w in ws]
    import concurrent.futures as cf
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    with cf.ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs)), mp_context=ctx) as pool:
        return [w for ws in pool.map(draw_one, jobs) for w in ws]


def _digest_pdf(
    digest: Digest,
    folders: dict[str, Path],
    keys: dict[str, str],
    store: Store,
    mode: str,
    stored: Memo,
    series: str = "",
    messages: Catalog | None = None,
    sub: str = "",
) -> tuple[Path, bool]:
    """The title page, then all slides of a month in order, merged from their vector PDFs;
    redrawn (True) when any slide changed. ``sub``: another language's PDF, in
    `<month>/<lang>/`."""
    from mlcollage.draw.digest import digest_pdf
    from mlcollage.draw.layout import authors_line
    from mlcollage.text import venue_line

    m = messages or Catalog("en")
    slide_keys = [keys[p.slug] for p in digest.papers]
    inputs = [digest.title, str(digest.date), series, slide_keys, m.key]  # m: the title page
    key = hashlib.sha256(canonical_json(inputs).encode()).hexdigest()
    base = (store.root / ".quick" if mode == "quick" else store.root) / digest.month
    base = base / sub if sub else base
    path = base / DIGEST_PDF
    if _current_key(base, "digest.json", DIGEST_PDF, stored) == key:
        return path, False
    pdfs = [(folders[p.slug] / SLIDE_PDF).read_bytes() for p in digest.papers]
    papers = [f"{p.title} — {authors_line(p.authors, m.gettext(' et al.'))} · "
              f"{venue_line(p.venue, p.year)}" for p in digest.papers]
    atomic_write(path, digest_pdf(pdfs, digest.title, digest.date, series, papers,
                                  m.month(digest.date), m.lang))
    atomic_write(base / "digest.json", (json.dumps({"key": key}) + "\n").encode())
    return path, True


def slide_files(
    site: Site, store: Store, mode: str, images: dict[str, PaperImages], pdfs: dict[str, Path],
    sub: str = "",
) -> dict[str, str | Path]:
    """Output path -> file in `figures/` for every slide image and digest PDF; ``sub``: another
    language's (its tree `<lang>/`, its files `figures/<month>/<slug>/<lang>/`)."""
    out: dict[str, str | Path] = {}
    tree = f"{sub}/" if sub else ""
    for paper in site.papers:
        im = images.get(paper.slug)
        if im is None or not im.slide:  # not drawn (no matplotlib here): the page has no slide
            continue
        folder = os.path.join(store.folder(paper, mode), sub, "")
        for name in (im.slide, im.slide_vector, im.card, *(f for _, f in im.thumbs)):
            out[f"{tree}{paper.url}{name}"] = folder + name  # a str: five per paper, Paths cost
    for month, path in pdfs.items():
        out[f"{tree}{month}/{DIGEST_PDF}"] = path
    return out
