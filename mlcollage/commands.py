"""The CLI verbs: each takes the resolved Options and returns an exit code."""

from __future__ import annotations

import shutil
import sys

from .cli import EXIT_FAILED, EXIT_INPUT, EXIT_OK, Options
from .model import InputError
from .publish import OutputError, check_output


def _report_input(error: InputError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    n = len(error.problems)
    print(
        f"mlcollage: {n} problem{'s' * (n != 1)} in the input; nothing was written", file=sys.stderr
    )
    return EXIT_INPUT


def build(opts: Options) -> int:
    from .manifest import build_settings, fingerprint, nothing_to_do, source_fingerprint

    source_fp = source_fingerprint(opts.project, build_settings(opts))
    fp = fingerprint(opts.project, source_fp, opts.quick)
    if nothing_to_do(opts, fp):  # before the heavy imports: a no-op rebuild costs a file walk
        return EXIT_OK
    from .pipeline import build_site
    from .runner import BuildFailed

    try:
        build_site(opts, fingerprints=(source_fp, fp))
    except InputError as exc:
        return _report_input(exc)
    except OutputError as exc:
        print(f"mlcollage: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BuildFailed as exc:
        print(
            f"mlcollage: build failed: {exc}; the previous site was left as it was", file=sys.stderr
        )
        return EXIT_FAILED
    return EXIT_OK


def check(opts: Options) -> int:
    from .pipeline import check_site

    try:
        warnings = check_site(opts)
    except InputError as exc:
        return _report_input(exc)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if opts.extra.get("links"):
        from .linkcheck import check_links

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
    if warnings and opts.strict:
        return EXIT_FAILED
    print("mlcollage: site_src is valid")
    return EXIT_OK


def clean(opts: Options) -> int:
    out = opts.out_dir
    removed = []
    if out.is_dir():
        try:
            check_output(out)  # the same rule as a build: only a folder mlcollage made
        except OutputError as exc:
            print(f"mlcollage: {exc}; not removing it", file=sys.stderr)
            return EXIT_INPUT
        shutil.rmtree(out)
        removed.append(str(out))
    quick = opts.figures / ".quick"
    if quick.is_dir():
        shutil.rmtree(quick)
        removed.append(str(quick))
    print("removed " + (", ".join(removed) if removed else "nothing"))
    return EXIT_OK


def new(opts: Options) -> int:
    from .scaffold import Entry, ScaffoldError, create_entry, parse_bibtex, year_from_arxiv

    a = opts.extra
    try:
        if a.get("bibtex"):
            path = a["bibtex"]
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ScaffoldError(
                    f"{path}: cannot read ({exc.strerror}); expected a .bib file"
                ) from None
            entry = parse_bibtex(text, str(path))
        else:
            if not a.get("title") or not a.get("authors"):
                raise ScaffoldError("--title and --authors are required (or --bibtex FILE)")
            authors = tuple(x.strip() for x in a["authors"].split(";") if x.strip())
            arxiv = a.get("arxiv") or ""
            year = a.get("year") or year_from_arxiv(arxiv) or int(a["month"][:4])
            entry = Entry(" ".join(a["title"].split()), authors, year, a.get("venue") or "", arxiv)
        if a.get("arxiv") and not entry.arxiv:
            entry = Entry(entry.title, entry.authors, entry.year, entry.venue, a["arxiv"])
        folder, written = create_entry(
            opts.src, a["month"], entry, a.get("slug") or "", experiment=not a.get("no_experiment")
        )
    except ScaffoldError as exc:
        print(f"mlcollage: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for path in written:
        print(f"created {path}")
    print(f"next: edit {folder / 'index.md'}, then `mlcollage serve` to preview")
    return EXIT_OK


def serve(opts: Options) -> int:
    from .serve import serve as run_server

    return run_server(opts)
