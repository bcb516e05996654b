"""The build: load -> run -> draw -> render -> publish. Each step is its own module."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

from .cache import Store
from .cli import Options
from .content import load_site
from .filecache import FileCache
from .introspect import caveat
from .manifest import (
    STATE_DIR,
    build_settings,
    fingerprint,
    previous_build,
    record,
    source_fingerprint,
)
from .markup import CachedMarkup
from .model import InputError, Outcome, Problem, Site
from .publish import MARKER, check_output, content_hashes, publish, publish_changes
from .render import ASSET_DIR, Renderer, RenderInput
from .runner import BuildFailed, outcome, plan, run_stale
from .slides import DIGEST_PDF, draw_stale, slide_files


def load(opts: Options, cached: bool = False) -> Site:
    """Load and validate; apply command-line overrides of site.yaml.

    ``cached``: reuse and update `.mlcollage/`'s cache of unchanged files (see filecache.py).
    """
    cache = FileCache(opts.project / STATE_DIR / "load-cache.pickle") if cached else None
    site = load_site(opts.src, include_drafts=opts.drafts, include_future=opts.future, cache=cache)
    if cache is not None:
        cache.save()
    for notice in site.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if opts.base_url:
        from urllib.parse import urlsplit

        parts = urlsplit(opts.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(
                [
                    Problem(
                        Path("--base-url"),
                        0,
                        f"{opts.base_url!r} is not an absolute http(s) URL; "
                        "expected e.g. https://user.github.io/repo/",
                    )
                ]
            )
        config = dataclasses.replace(site.config, base_url=opts.base_url.rstrip("/") + "/")
        site = dataclasses.replace(site, config=config)
    for only in opts.only:
        if only not in {p.slug for p in site.papers}:
            raise InputError(
                [
                    Problem(
                        Path("--only"),
                        0,
                        f"no paper with slug {only!r}; expected "
                        "one of: " + ", ".join(p.slug for p in site.papers),
                    )
                ]
            )
    return site


def static_copies(template_dir: Path) -> dict[str, Path]:
    assets = template_dir / ASSET_DIR
    if not assets.is_dir():
        return {}
    return {
        f"{ASSET_DIR}/{p.relative_to(assets).as_posix()}": p
        for p in sorted(assets.rglob("*"))
        if p.is_file()
    }


BUNDLE_SKIP = {"index.md", "experiment.py"}


def bundle_copies(site: Site) -> dict[str, Path]:
    """Files that sit beside a paper's index.md (page-bundle resources) are published with it."""
    out = {}
    for paper in site.papers:
        if BUNDLE_SKIP.issuperset(os.listdir(paper.folder)):  # the usual case: nothing to copy
            continue
        for folder, subfolders, names in os.walk(paper.folder):
            subfolders[:] = [d for d in subfolders if not d.startswith((".", "_"))]
            for name in names:
                f = Path(folder, name)
                if (
                    name not in BUNDLE_SKIP
                    and not name.startswith((".", "_"))
                    and f.suffix != ".py"
                    and f.is_file()
                ):
                    out[f"{paper.url}{f.relative_to(paper.folder).as_posix()}"] = f
    return out


def frozen_outcomes(site: Site, store: Store, mode: str) -> dict[str, Outcome]:
    """Outcomes from `figures/` alone; stale or missing results are marked 'running' (serve)."""
    by_slug: dict[str, list] = {}
    for p in plan(site, store, mode):
        by_slug.setdefault(p.paper.slug, []).append(p)
    out = {}
    for paper in site.papers:
        mine = by_slug.get(paper.slug)
        if mine:
            runs = [p.stored for p in mine if p.stored is not None]
            current = all(p.current for p in mine)
            out[paper.slug] = outcome(
                paper,
                runs if len(runs) == len(mine) else [],
                "cached" if current else "running",
                stale=not current,
            )
    return out


def build_site(
    opts: Options,
    extra_head: str = "",
    defer_runs: bool = False,
    fingerprints: tuple[str, str] | None = None,
) -> Site:
    """Build the site into ``opts.out_dir``; the previous site stays unless everything succeeded.

    ``defer_runs`` (serve) renders stale experiments as running instead of running them;
    ``extra_head`` (serve) is injected into every page's <head>, never in a published build.
    ``fingerprints``: (sources, sources + figures) if the caller just took them (no-op check).
    """
    settings = build_settings(opts, extra_head, defer_runs)
    # taken before any input is read, and recorded: an edit during the build is seen by the next
    source_fp, fp = fingerprints or (source_fingerprint(opts.project, settings), "")
    site = load(opts, cached=not opts.no_cache)
    check_output(opts.out_dir)
    store = Store(opts.figures)
    if defer_runs:
        outcomes, failures = frozen_outcomes(site, store, "quick" if opts.quick else "full"), []
    else:
        outcomes, failures = run_stale(site, opts, store)
    if failures and not opts.keep_going:
        raise BuildFailed(f"{len(failures)} experiment(s) failed: " + "; ".join(failures))
    if opts.strict:
        weak = [
            f"{slug}: {c.statement}"
            for slug, o in outcomes.items()
            for c in o.claims
            if not c.reproduced
        ]
        if weak:
            raise BuildFailed("--strict: claims not reproduced: " + "; ".join(weak))
    mode = "quick" if opts.quick else "full"
    state = opts.project / STATE_DIR
    markup = CachedMarkup(None if opts.no_cache else state / "markup-cache.pickle")
    stored = FileCache(None if opts.no_cache else state / "slide-keys.pickle")
    images, pdfs, warnings, drawn = draw_stale(
        site, outcomes, store, mode, opts.jobs, force=opts.force, markup=markup, stored=stored
    )
    stored.save()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if warnings and opts.strict:
        raise BuildFailed(f"--strict: {len(warnings)} warning(s)")
    extra = RenderInput(
        outcomes=outcomes,
        images=images,
        digest_pdfs={m: DIGEST_PDF for m in pdfs},
        caveats={p.slug: caveat(p.experiment.path) for p in site.papers if p.experiment},
        extra_head=extra_head,
    )
    last = {} if opts.no_cache else previous_build(opts.project, opts.out_dir)
    incremental = bool(last) and (opts.out_dir / MARKER).exists()
    renderer = Renderer(
        site,
        opts.templates,
        extra,
        markup,
        previous=last.get("pages", {}) if incremental else {},
        previous_files=last.get("files", {}) if incremental else {},
        bytecode_dir=None if opts.no_cache else state / "jinja",
    )
    rendered = render_or_explain(renderer, opts.templates)
    out = str(opts.out_dir)
    if any(
        data is None and not os.path.isfile(os.path.join(out, rel))
        for rel, data in rendered.items()
    ):
        renderer = Renderer(site, opts.templates, extra, markup)  # output was touched: render all
        rendered = render_or_explain(renderer, opts.templates)
    files = {rel: data for rel, data in rendered.items() if data is not None}
    copies = (
        static_copies(opts.templates)
        | bundle_copies(site)
        | slide_files(site, store, mode, images, pdfs)
    )
    hashes = content_hashes(files, copies)
    for rel, data in rendered.items():
        if data is None:  # not re-rendered: its inputs and so its bytes are the last build's
            hashes[rel] = last["files"][rel]
    if incremental:
        n = publish_changes(files, copies, opts.out_dir, last["files"], hashes)
        print(f"mlcollage: updated {n} of {len(hashes)} files in {opts.out_dir}", file=sys.stderr)
    else:
        publish(files, copies, opts.out_dir)
        print(f"mlcollage: wrote {len(hashes)} files to {opts.out_dir}", file=sys.stderr)
    markup.save()
    if drawn or not fp or any(o.status not in ("cached", "stale") for o in outcomes.values()):
        fp = fingerprint(opts.project, source_fp, opts.quick)  # figures/ as it is now
    record(opts.project, opts.out_dir, fp, hashes, renderer.keys)
    return site


def render_or_explain(renderer: Renderer, templates: Path) -> dict[str, bytes | None]:
    """Render; a broken or missing template is bad input (`path:line: ...`, exit 2)."""
    import jinja2

    try:
        return renderer.render_all()
    except jinja2.TemplateSyntaxError as exc:
        path = Path(exc.filename or templates / (exc.name or "?"))
        raise InputError(
            [
                Problem(
                    path, exc.lineno or 1, f"template error: {exc.message}; expected valid Jinja2"
                )
            ]
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError(
            [
                Problem(
                    templates / str(exc.name),
                    1,
                    f"template not found; expected {exc.name} in {templates}",
                )
            ]
        ) from None
    except jinja2.UndefinedError as exc:
        raise InputError(
            [
                Problem(
                    templates,
                    1,
                    f"template uses an undefined value: {exc}; "
                    "expected only the variables mlcollage passes",
                )
            ]
        ) from None


def scaffold_warnings(site: Site) -> list[str]:
    """Unfilled scaffold text (`TODO:`) and images without alt text, as `path: ...` warnings."""
    from .scaffold import TODO

    out = []
    texts = [(d.source, d.title + "\n" + d.intro_md + "\n" + d.outro_md) for d in site.digests]
    texts += [(p.source, "\n".join([p.title, p.summary_md, *p.takeaways])) for p in site.papers]
    for source, text in texts:
        if TODO in text:
            out.append(f"{source}: unfilled scaffold text ('{TODO} ...'); expected your own words")
        for alt in re.findall(r"!\[([^\]]*)\]\(", text):
            if not alt.strip():
                out.append(f"{source}: image without alt text; expected ![description](file)")
    return out


def check_site(opts: Options) -> list[str]:
    """Validate entries and experiment contracts without running or writing; return warnings."""
    from .experiment import ContractError, load_experiment

    site = load(opts)
    problems = []
    for paper in site.papers:
        if paper.experiment is None:
            continue
        script = paper.experiment.path
        try:
            load_experiment(script)  # imports the module: checks the contract, runs nothing
        except ContractError as exc:
            problems.append(Problem(script, 1, str(exc).removeprefix(f"{script}: ")))
    if problems:
        raise InputError(problems)
    warnings = scaffold_warnings(site)
    mode = "quick" if opts.quick else "full"
    for p in plan(site, Store(opts.figures), mode):
        if p.stored is None:
            warnings.append(
                f"{p.paper.source}: no frozen result for seed {p.seed}; "
                "`mlcollage build` will run the experiment"
            )
        elif not p.current:
            warnings.append(
                f"{p.paper.source}: frozen result for seed {p.seed} is stale "
                "(experiment or config changed); `mlcollage build` will re-run it"
            )
        else:
            for claim in p.stored.record.get("claims", []):
                if not claim.get("holds"):
                    warnings.append(
                        f"{p.paper.source}: claim not reproduced (seed {p.seed}): "
                        f"{claim['statement']}"
                    )
    return warnings
