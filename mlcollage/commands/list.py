"""`mlcollage list`: one line per paper (month, slug, its frozen result's state, title)."""

from __future__ import annotations

import datetime as dt
import sys

from mlcollage.commands import no_site, report_input
from mlcollage.content.load import load_site
from mlcollage.model import InputError
from mlcollage.options import EXIT_OK, ListArgs, Options


def run(opts: Options, args: ListArgs = ListArgs()) -> int:  # noqa: B008 - frozen
    if (missing := no_site(opts)) is not None:
        return missing
    from mlcollage.run.plan import plan
    from mlcollage.run.store import Store

    filtered = args.drafts or args.future or args.stale
    try:  # everything, then the filters; no filter: what a build with these flags publishes
        site = load_site(opts.src, include_drafts=True, include_future=True)
    except InputError as exc:
        return report_input(exc)
    today = dt.date.today()
    state: dict[str, str] = {}
    for p in plan(site, Store(opts.figures), opts.mode):
        now = "missing" if p.stored is None else "current" if p.current else "stale"
        if state.get(p.paper.slug, "current") == "current" or now == "missing":
            state[p.paper.slug] = now
    rows = []
    for digest in sorted(site.digests, key=lambda d: d.month):
        future = digest.date > today
        for paper in digest.papers:
            draft = paper.draft or digest.draft
            s = state.get(paper.slug, "no experiment")
            if filtered:
                keep = ((args.drafts and draft) or (args.future and future)
                        or (args.stale and s in ("stale", "missing")))
            else:
                keep = (not draft or opts.drafts) and (not future or opts.future or opts.drafts)
            if keep:
                flags = [w for w, on in (("draft", draft), ("future", future)) if on]
                rows.append((digest.month, paper.slug, ", ".join([s, *flags]), paper.title))
    width = max((len(r[1]) for r in rows), default=0)
    for month, slug, what, title in rows:
        print(f"{month}  {slug:<{width}}  {what:<14}  {title}")
    if opts.verbosity >= 0:
        print(f"{len(rows)} paper{'s' * (len(rows) != 1)}", file=sys.stderr)
    return EXIT_OK

