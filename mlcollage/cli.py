"""CLI: verbs and flags -> one options object; exit codes 0 ok, 1 build failed, 2 bad input.

Only the standard library is imported at module level so that `mlcollage --help` stays fast;
each verb imports what it needs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from mlcollage.options import (
    EXIT_INPUT,
    EXIT_OK,
    CheckArgs,
    InitArgs,
    ListArgs,
    NewArgs,
    Options,
    ServeArgs,
)


def _common(p: argparse.ArgumentParser) -> None:
    """What every verb that reads a project takes: -C, and how much to say."""
    p.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="project root with site_src/, figures/ and optional templates/ (default: .)",
    )
    _verbosity(p)


def _verbosity(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "-q", "--quiet", action="store_const", const=-1, dest="verbosity", default=0,
        help="only warnings and errors (no progress, table or summary lines)",
    )
    g.add_argument(
        "-v", "--verbose", action="store_const", const=1, dest="verbosity",
        help="also say, for every experiment run, whether its frozen result is current",
    )


def _selection(p: argparse.ArgumentParser, drafts: bool = True) -> None:
    """Which entries a verb sees; serve always shows drafts, so it has no --drafts."""
    if drafts:
        p.add_argument(
            "--drafts",
            action="store_true",
            help="include entries marked draft: true (and future digests)",
        )
    p.add_argument("--future", action="store_true", help="include digests dated in the future")


def _build_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: _site)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="run experiments in quick mode (kept apart from full results)",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SLUG",
        help="run only this paper's experiment (repeatable); others use frozen results",
    )
    p.add_argument("--force", action="store_true", help="re-run experiments even if current")
    p.add_argument(
        "--rerun-stale-versions",
        action="store_true",
        help="also re-run results produced with other mlcollage/torch/numpy versions than the "
        "installed ones (`mlcollage check` lists them; without this flag they stay current)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes for experiments, slides and a cold build's pages (default: cores)",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="publish even if an experiment fails (shown as failed on the page)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail the build when a claim is not reproduced or on any warning",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time limit per experiment run (default: 600)",
    )
    p.add_argument(
        "--executor",
        default="local",
        metavar="ENGINE",
        help="where experiments run: " + _engine_help(),
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="ignore the build manifest and caches in .mlcollage/; rebuild and rewrite every file",
    )
    p.add_argument(
        "--no-run",
        action="store_true",
        help="never run experiments; fail if a frozen result is stale",
    )
    p.add_argument(
        "--base-url",
        default="",
        metavar="URL",
        help="override site.yaml base_url (feed, sitemap, OpenGraph)",
    )


def _engine_help() -> str:
    from mlcollage.run.engines import ENGINES  # light: the registry imports no engine

    return "; ".join(
        f"{name}{' or ' + name + '://HOST:PORT' if spec.address else ''} "
        f"({spec.summary.replace('`', '')})"
        for name, spec in ENGINES.items()
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlcollage",
        description="Build a monthly digest of visual paper summaries whose figures come from "
        "reference experiments that ran. Start one with `mlcollage init mysite`.",
        epilog="Exit codes: 0 ok, 1 build failed (an experiment or, with --strict, a claim), "
        "2 bad input or usage.",
    )
    p.add_argument("--version", action=_Version, help="print mlcollage's version and exit")
    p.add_argument(
        "--print-completion",
        choices=COMPLETION_SHELLS,
        metavar="SHELL",
        help="print a shell completion script (bash, zsh, tcsh), e.g. "
        "`mlcollage --print-completion bash > ~/.local/share/bash-completion/completions/"
        "mlcollage`",
    )
    sub = p.add_subparsers(dest="verb", metavar="COMMAND")
    i = sub.add_parser(
        "init",
        help="start a new site in DIR (site.yaml, a first month, an example paper)",
        description="Create a site that builds at once: site.yaml with every field commented, "
        "a first month with an example paper whose starter experiment runs in seconds (a "
        "checked claim and its control; its result is frozen, so `build --no-run` works "
        "without torch), .gitignore, a GitHub Pages workflow and a README. Never overwrites.",
    )
    i.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR",
                   help="the new site's folder (default: .); must be empty or absent")
    _verbosity(i)
    b = sub.add_parser(
        "build",
        help="run stale experiments, draw slides, render the site",
        description="Load and validate site_src/, run the experiments whose frozen "
        "result is stale, draw the slides, render _site/ atomically.",
    )
    _common(b)
    _selection(b)
    _build_flags(b)
    c = sub.add_parser(
        "check",
        help="validate site_src/ and experiment contracts; run nothing",
        description="Validate every entry and experiment contract without running "
        "anything; warn on stale results, note results made with other versions. "
        "Exit 2 on bad input.",
    )
    _common(c)
    _selection(c)
    c.add_argument("--strict", action="store_true", help="warnings fail the check (exit 1)")
    c.add_argument("--quick", action="store_true", help="check quick-mode results instead")
    c.add_argument(
        "--links",
        action="store_true",
        help="also check that every internal link and image in the built site resolves",
    )
    c.add_argument(
        "--out", type=Path, metavar="DIR", help="built site for --links (default: _site)"
    )
    c.add_argument(
        "--slides",
        nargs="?",
        type=Path,
        const=Path("contact-sheets"),
        metavar="DIR",
        help="also write one contact sheet per month (every slide at thumbnail size, for a "
        "person to look at) to DIR (default: contact-sheets/ in the project) and report the "
        "slides' legibility findings",
    )
    ls = sub.add_parser(
        "list",
        help="list the papers: all that a build publishes, or only drafts, future or stale ones",
        description="One line per paper: month, slug, state of its frozen result, title. "
        "The filters combine (a paper matching any is listed).",
    )
    _common(ls)
    ls.add_argument("--drafts", action="store_true", help="only drafts (draft: true)")
    ls.add_argument("--future", action="store_true", help="only papers of future-dated digests")
    ls.add_argument(
        "--stale", action="store_true", help="only papers whose frozen results are stale or missing"
    )
    ls.add_argument("--quick", action="store_true", help="the quick-mode results' state")
    _new_parser(sub)
    v = sub.add_parser(
        "serve",
        help="preview with live reload; rebuilds on every edit",
        description="Build into a temporary folder, serve it on 127.0.0.1, watch site_src/ and "
        "templates/, rebuild on change and reload the browser. Drafts are shown with a banner. "
        "Edited experiments re-run in the background. Nothing is left behind on Ctrl-C.",
    )
    _common(v)
    _selection(v, drafts=False)
    v.add_argument(
        "--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)"
    )
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    v.add_argument("--open", action="store_true", help="open the site in a web browser")
    v.add_argument("--quick", action="store_true", help="run edited experiments in quick mode")
    v.add_argument("-j", "--jobs", type=int, default=0, metavar="N", help="experiment processes")
    v.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS")
    k = sub.add_parser(
        "clean",
        help="remove the built site and quick-mode results",
        description="Remove _site/ (or --out) and figures/.quick/. Frozen full "
        "results in figures/ are kept: they are committed.",
    )
    _common(k)
    k.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: _site)")
    return p


COMPLETION_SHELLS = ("bash", "zsh", "tcsh")


class _Version(argparse.Action):
    """`--version`, reading the package metadata only when asked (every start would pay ~0.1 s)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from mlcollage.state.keys import versions  # package metadata: nothing is imported

        print(f"mlcollage {versions()['mlcollage']}")
        parser.exit()


def _new_parser(sub: Any) -> None:
    n = sub.add_parser(
        "new",
        help="scaffold a paper entry (offline)",
        description="Create site_src/MONTH/<surname>-<year>-<short-title>/ with front matter, "
        "a summary to fill in and a starter experiment that runs. Creates the month's index.md "
        "if missing. Never overwrites; never fetches anything.",
    )
    _common(n)
    n.add_argument("month", help="the digest month, YYYY-MM")
    n.add_argument("--title", help="paper title")
    n.add_argument("--authors", help='authors separated by ";", e.g. "Ada Lovelace; Alan Turing"')
    n.add_argument("--year", type=int, help="publication year (default: from --arxiv or month)")
    n.add_argument("--venue", default="", help="e.g. 'NeurIPS 2020'")
    n.add_argument("--arxiv", default="", metavar="ID", help="arXiv id, e.g. 2006.10739")
    n.add_argument("--bibtex", type=Path, metavar="FILE", help="read title/authors/year from .bib")
    n.add_argument("--slug", default="", help="folder name (default: surname-year-short-title)")
    n.add_argument("--no-experiment", action="store_true", help="do not create experiment.py")


def options_from(args: argparse.Namespace) -> Options:
    jobs = getattr(args, "jobs", 0) or 0
    if jobs < 0:
        raise SystemExit(_usage(f"--jobs must be >= 0, got {jobs}"))
    timeout = getattr(args, "timeout", 600.0)
    if timeout <= 0:
        raise SystemExit(_usage(f"--timeout must be > 0, got {timeout}"))
    executor = getattr(args, "executor", "local")
    if executor != "local":
        from mlcollage.run.engines import executor_problem  # finds, never imports, the extras

        problem = executor_problem(executor)
        if problem:
            print(f"mlcollage: {problem}", file=sys.stderr)
            raise SystemExit(EXIT_INPUT)
    return Options(
        project=getattr(args, "project", Path(".")),
        out=getattr(args, "out", None),
        quick=getattr(args, "quick", False),
        only=tuple(getattr(args, "only", ()) or ()),
        force=getattr(args, "force", False),
        rerun_versions=getattr(args, "rerun_stale_versions", False),
        jobs=jobs or (os.cpu_count() or 1),
        keep_going=getattr(args, "keep_going", False),
        strict=getattr(args, "strict", False),
        timeout=timeout,
        drafts=getattr(args, "drafts", False),
        future=getattr(args, "future", False),
        no_cache=getattr(args, "no_cache", False),
        no_run=getattr(args, "no_run", False),
        base_url=getattr(args, "base_url", ""),
        executor=executor,
        verbosity=getattr(args, "verbosity", 0),
    )


def verb_args(
    args: argparse.Namespace,
) -> NewArgs | ServeArgs | CheckArgs | ListArgs | InitArgs | None:
    """The verb's own arguments, typed."""
    if args.verb == "new":
        return NewArgs(
            month=args.month,
            title=args.title or "",
            authors=args.authors or "",
            year=args.year,
            venue=args.venue or "",
            arxiv=args.arxiv or "",
            bibtex=args.bibtex,
            slug=args.slug or "",
            experiment=not args.no_experiment,
        )
    if args.verb == "serve":
        return ServeArgs(host=args.host, port=args.port, open=args.open)
    if args.verb == "list":
        return ListArgs(drafts=args.drafts, future=args.future, stale=args.stale)
    if args.verb == "init":
        return InitArgs(folder=args.dir)
    if args.verb == "check":
        return CheckArgs(links=args.links, slides=args.slides)
    return None


def _usage(message: str) -> int:
    print(f"mlcollage: error: {message}", file=sys.stderr)
    return EXIT_INPUT


def main(argv: list[str] | None = None) -> int:
    p = parser()
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.print_completion:
        import shtab  # only here: generating the script is the one use

        print(shtab.complete(p, shell=args.print_completion))
        return EXIT_OK
    if args.verb is None:
        p.print_help()
        return EXIT_INPUT
    try:
        opts = options_from(args)
    except SystemExit as exc:
        return int(exc.code or EXIT_INPUT)
    import importlib

    command = importlib.import_module(f"mlcollage.commands.{args.verb}")
    return command.run(opts, verb_args(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
