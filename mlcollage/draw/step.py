"""The draw step: which slides are stale, drawing them in worker processes, the digest PDFs.

A slide is cached like a result: `slide.json` beside it records the key of everything it was
drawn from (the paper's header fields, the result, the experiment's panel code, the style), and
is written last, so an interrupted draw is simply redrawn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from mlcollage.content.source import caveat
from mlcollage.draw.images import THUMB_WIDTHS
from mlcollage.draw.layout import STYLE, ClaimLine, SlideInput
from mlcollage.files import atomic_write
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
from mlcollage.state.memo import Memo, stat_key

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


def _code_hash() -> str:
    h = hashlib.sha256()
    for path in (*PIXEL_CODE, STYLE):  # the code that decides the pixels; not this module
        h.update(path.read_bytes())
    for dist in ("matplotlib", "pillow"):
        try:
            h.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()


def compact_control(claim: ClaimCheck) -> str:
    """The slide's short form of a claim's controls ('' when none is declared)."""
    held = [k for k in claim.controls if k.holds is True]
    if held:  # the page has the labels and numbers; the slide names the controls
        return "STILL HOLDS under " + ", ".join(k.name for k in held)
    broke = [k for k in claim.controls if k.broke]
    if broke:
        return "fails under " + ", ".join(k.name for k in broke)
    if claim.kind == "expected":
        return "expected cost, not evidence"
    return "control not run" if claim.controls else ""


def slide_input(
    paper: Paper,
    outcome: Outcome | None,
    number: int,
    series: str,
    run_folder: Path | None,
    summary: str,
    seed_folders: tuple[Path, ...] = (),
) -> SlideInput:
    claims = tuple(
        ClaimLine(c.statement, c.reproduced, c.holds_in, c.n_seeds, compact_control(c),
                  c.control_failed)
        for c in (outcome.claims if outcome else ())
    )
    footer = "mlcollage"
    if outcome and outcome.provenance:
        prov = outcome.provenance
        seeds = ",".join(str(s) for s in outcome.seeds)
        footer = (
            f"seed {seeds} · {prov.get('device', 'cpu').split(' (')[0]} · "
            f"{prov.get('wall_s', 0):.0f} s{' · quick mode' if outcome.mode == 'quick' else ''}"
            " · reproduced by mlcollage"
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
        figure_title=paper.figure.title if paper.figure else "",
        figure_credit=paper.figure.credit if paper.figure else "",
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


def draw_step(
    site: Site, outcomes: dict[str, Outcome], store: Store, opts: Options, slide_keys: Memo,
    md: Callable[[str], str],
) -> Slides:
    """Draw what is stale; warnings are printed, and fail the build under --strict."""
    slides = Slides(*draw_stale(site, outcomes, store, opts.mode, opts.jobs, md, opts.force,
                                slide_keys, recorded=opts.strict))
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
    recorded: bool = False,
) -> tuple[dict[str, PaperImages], dict[str, Path], list[str], int]:
    """Draw what is stale; return images per slug (paths in `figures/`), digest PDFs, warnings
    and how many slides and PDFs were drawn (0: `figures/` is as it was).

    ``md`` converts a summary's Markdown (a slide without a run shows the summary's text);
    ``stored`` remembers the key each `slide.json`/`digest.json` records, by the files' stat,
    and the key of each slide without a run, by a hash of its inputs. With ``recorded`` (under
    --strict), a slide that is current still reports the legibility findings its `slide.json`
    recorded when it was drawn.
    """
    from mlcollage.draw.contact import recorded_findings

    stored = stored or Memo(None)
    numbers = series_numbers(site)
    series = site.config.series
    code = _code_hash()
    jobs, images, folders, keys, cached = [], {}, {}, {}, []
    for paper in site.papers:
        folder = store.folder(paper, mode)
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
        by_inputs = None if run_folder else repr_hash((paper.digest, outcome, number, series, code))
        key, inp = stored.get(f"inputs:{folder}", by_inputs), None
        if key is None:
            inp = _input(paper, outcome, number, series, run_folder, md, seed_folders)
            key = slide_key(inp, rkey + claims_key, code)
            stored.put(f"inputs:{folder}", by_inputs, key)
        keys[paper.slug] = key
        images[paper.slug] = IMAGES
        if force or _current_key(folder, KEY_FILE, SLIDE_PNG, stored) != key:
            inp = inp or _input(paper, outcome, number, series, run_folder, md, seed_folders)
            meta = {
                "mlcollage:key": rkey,
                "mlcollage:slide-key": key,
                "mlcollage:seed": ",".join(str(s) for s in (outcome.seeds if outcome else ())),
                "mlcollage:versions": canonical_json(versions()),
                "Software": "mlcollage",
            }
            jobs.append(DrawJob(inp, str(folder), key, meta))
        elif recorded:
            cached += [f"{paper.source}: slide: {f}" for f in recorded_findings(folder)]
    undrawn: set[str] = set()
    if jobs and not can_draw():  # publishing without the `run` extra: pages without those slides
        undrawn = {Path(j.folder).name for j in jobs}
        warnings = [f"{len(jobs)} slide(s) not drawn ({', '.join(sorted(undrawn))}): drawing "
                    "needs matplotlib, Pillow and pypdf; install them with "
                    "`pip install 'mlcollage[run]'`"
                    " (or commit the slides in figures/ from a machine that has them)"]
        images |= {slug: PaperImages() for slug in undrawn}
        jobs = []
    else:
        warnings = _run(jobs, n_jobs)  # now every slide.json records its key in `keys`
    warnings += cached
    drawn, pdfs = len(jobs), {}
    for d in site.digests:
        if d.papers and not undrawn.intersection(p.slug for p in d.papers):
            pdfs[d.month], redrawn = _digest_pdf(d, folders, keys, store, mode, stored, series)
            drawn += redrawn
    return images, pdfs, warnings, drawn


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
) -> SlideInput:
    from mlcollage.text import plain_text, shorten

    summary = shorten(plain_text(md(paper.summary_md)), 700)
    return slide_input(paper, outcome, number, series, run_folder, summary, seed_folders)


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
) -> tuple[Path, bool]:
    """The title page, then all slides of a month in order, merged from their vector PDFs;
    redrawn (True) when any slide changed."""
    from mlcollage.draw.digest import digest_pdf
    from mlcollage.draw.layout import authors_line
    from mlcollage.text import venue_line

    slide_keys = [keys[p.slug] for p in digest.papers]
    key = hashlib.sha256(
        canonical_json([digest.title, str(digest.date), series, slide_keys]).encode()
    ).hexdigest()
    base = (store.root / ".quick" if mode == "quick" else store.root) / digest.month
    path = base / DIGEST_PDF
    if _current_key(base, "digest.json", DIGEST_PDF, stored) == key:
        return path, False
    pdfs = [(folders[p.slug] / SLIDE_PDF).read_bytes() for p in digest.papers]
    papers = [f"{p.title} — {authors_line(p.authors)} · {venue_line(p.venue, p.year)}"
              for p in digest.papers]
    atomic_write(path, digest_pdf(pdfs, digest.title, digest.date, series, papers))
    atomic_write(base / "digest.json", (json.dumps({"key": key}) + "\n").encode())
    return path, True


def slide_files(
    site: Site, store: Store, mode: str, images: dict[str, PaperImages], pdfs: dict[str, Path]
) -> dict[str, str | Path]:
    """Output path -> file in `figures/` for every slide image and digest PDF."""
    out: dict[str, str | Path] = {}
    for paper in site.papers:
        im = images.get(paper.slug)
        if im is None or not im.slide:  # not drawn (no matplotlib here): the page has no slide
            continue
        folder = os.path.join(store.folder(paper, mode), "")
        for name in (im.slide, im.slide_vector, im.card, *(f for _, f in im.thumbs)):
            out[f"{paper.url}{name}"] = folder + name  # a str: five per paper, Paths cost
    for month, path in pdfs.items():
        out[f"{month}/{DIGEST_PDF}"] = path
    return out
