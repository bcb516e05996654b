"""`mlcollage check`: validate entries and experiment contracts, warn on stale results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mlcollage.commands import no_site, report_input
from mlcollage.content.lint import scaffold_warnings
from mlcollage.content.load import load
from mlcollage.model import InputError, Problem
from mlcollage.options import EXIT_FAILED, EXIT_INPUT, EXIT_OK, CheckArgs, Options


def run(opts: Options, args: CheckArgs = CheckArgs()) -> int:  # noqa: B008 - frozen
    if (missing := no_site(opts)) is not None:
        return missing
    try:
        warnings = check_site(opts)
    except InputError as exc:
        return report_input(exc)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    warnings = list(warnings)
    if args.links:
        from mlcollage.render.linkcheck import check_links

        if not (opts.out_dir / "index.html").is_file():
            print(
                f"mlcollage: {opts.out_dir}: no built site; run `mlcollage build` first",
                file=sys.stderr,
            )
            return EXIT_INPUT
        broken = check_links(opts.out_dir)
        for problem in broken:
            print(problem, file=sys.stderr)
        if broken:
            print(f"mlcollage: {len(broken)} broken internal link(s)", file=sys.stderr)
            return EXIT_FAILED
        print(f"mlcollage: every internal link and image in {opts.out_dir} resolves")
    if args.slides is not None:
        warnings += contact_sheets(opts, args.slides)
    if warnings and opts.strict:
        return EXIT_FAILED
    print("mlcollage: site_src is valid")
    return EXIT_OK


def contact_sheets(opts: Options, folder: Path) -> list[str]:
    """Write `<folder>/<month>.png` per digest; print and return the slides' recorded findings
    (and a warning for each slide not drawn yet)."""
    from mlcollage.draw.contact import SheetEntry, contact_sheet, recorded_findings
    from mlcollage.draw.step import SLIDE_PNG, can_draw
    from mlcollage.files import atomic_write
    from mlcollage.run.store import Store

    if not can_draw():
        message = ("--slides: a contact sheet needs matplotlib and Pillow; install them with "
                   "`pip install 'mlcollage[run]'`")
        print(f"warning: {message}", file=sys.stderr)
        return [message]
    site = load(opts)
    store = Store(opts.figures)
    folder = folder if folder.is_absolute() else opts.project / folder
    warnings = []
    for digest in site.digests:
        if not digest.papers:
            continue
        entries = []
        for paper in digest.papers:
            slides = store.folder(paper, opts.mode)
            entry = SheetEntry(paper.slug, slides / SLIDE_PNG, recorded_findings(slides))
            entries.append(entry)
            if not entry.slide.is_file():
                warnings.append(f"{paper.source}: no slide drawn yet; `mlcollage build` draws it")
            warnings += [f"{paper.source}: slide: {f}" for f in entry.findings]
        path = folder / f"{digest.month}.png"
        atomic_write(path, contact_sheet(f"{digest.title} ({digest.month})", entries))
        print(f"mlcollage: wrote {path} ({len(entries)} slides)")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return warnings


def check_site(opts: Options) -> list[str]:
    """Validate entries and experiment contracts without running or writing; return warnings."""
    from mlcollage.run.plan import frozen_outcomes, plan
    from mlcollage.run.step import strict_problems
    from mlcollage.run.store import Store
    from mlcollage.state.keys import importable

    site = load(opts)
    problems = []
    runnable = importable("numpy", "torch")
    if not runnable and any(p.experiment for p in site.papers):
        print(
            "note: experiment contracts not checked: importing experiments needs numpy and torch "
            "(`pip install 'mlcollage[run]'`); frozen results and entries are checked",
            file=sys.stderr,
        )
    for paper in site.papers:
        if paper.experiment is None or not runnable:
            continue
        from mlcollage.experiment import ContractError, load_experiment

        script = paper.experiment.path
        try:
            load_experiment(script)  # imports the module: checks the contract, runs nothing
        except ContractError as exc:
            problems.append(Problem(script, 1, str(exc).removeprefix(f"{script}: ")))
    if problems:
        raise InputError(problems)
    warnings = scaffold_warnings(site)
    store = Store(opts.figures)
    stale = set()
    planned = plan(site, store, opts.mode)
    for p in planned:
        run = f"the control '{p.control.name}'" if p.control else f"seed {p.seed}"
        if p.stored is None or not p.current:
            stale.add(p.paper.slug)
            state = "no frozen result" if p.stored is None else (
                "the frozen result is stale (experiment or config changed)")
            warnings.append(
                f"{p.paper.source}: {state} for {run}; `mlcollage build` will run it"
            )
    for line in version_notes(site, planned):
        print(f"note: {line}", file=sys.stderr)
    frozen = {slug: o for slug, o in frozen_outcomes(site, store, opts.mode).items()
              if slug not in stale}
    sources = {paper.slug: paper.source for paper in site.papers}
    for problem in strict_problems(frozen):
        slug, _, rest = problem.partition(": ")
        warnings.append(f"{sources[slug]}: {rest}")
    return warnings


def version_notes(site: Any, planned: list[Any]) -> list[str]:
    """One line per paper whose current frozen results were produced with other versions of
    mlcollage, torch or numpy than the installed ones (provenance: not in the result's key)."""
    by_paper: dict[str, dict[str, tuple[str, str]]] = {}
    for p in planned:
        if p.current:
            by_paper.setdefault(p.paper.slug, {}).update(p.version_changes)
    out = []
    for paper in site.papers:
        changes = by_paper.get(paper.slug)
        if changes:
            what = ", ".join(f"{n} {was} -> {now}" for n, (was, now) in sorted(changes.items()))
            out.append(
                f"{paper.source}: its frozen results were produced with other versions ({what}); "
                "they stay current (versions are provenance, not key); "
                "`mlcollage build --rerun-stale-versions` re-runs them"
            )
    return out
