"""Warnings about content that loads but is not ready: unfilled scaffold text, no alt text."""

from __future__ import annotations

import re

from mlcollage.content.names import TODO
from mlcollage.model import Site


def scaffold_warnings(site: Site) -> list[str]:
    """Unfilled scaffold text (`TODO:`) and images without alt text, as `path: ...` warnings."""
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
