"""Re-key frozen results from format 1 (keyed on versions) to the current format, in place.

The numbers do not change, only the key that says which inputs produced them: a stored run is
re-keyed only when its recorded key equals the format-1 key of today's sources, config, seed
and mode with the versions its provenance records (it was current before the change). A run
that was already stale keeps its key, so `mlcollage build` still re-runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcollage.files import atomic_write
from mlcollage.model import Site
from mlcollage.run.plan import plan
from mlcollage.run.store import KEYED_VERSIONS, Store, record_text, result_key_v1


@dataclass(frozen=True)
class Rekeyed:
    """What `rekey` did with each stored run, by label ('slug seed 0', 'slug control x')."""

    rewritten: list[str]
    current: list[str]
    """Already keyed in the current format."""
    stale: list[str]
    """Neither key matches: the experiment or its config changed since; left for a re-run."""
    missing: list[str]


def rekey(site: Site, store: Store, mode: str, dry_run: bool = False) -> Rekeyed:
    """Rewrite the key of every stored run that was current under format 1."""
    out = Rekeyed([], [], [], [])
    for p in plan(site, store, mode):
        run = f"control {p.control.name}" if p.control else f"seed {p.seed}"
        label = f"{p.paper.slug} {run}"
        if p.stored is None:
            out.missing.append(label)
            continue
        if p.current:
            out.current.append(label)
            continue
        was = (p.stored.record.get("provenance") or {}).get("versions") or {}
        old = result_key_v1(
            p.paper.experiment, p.seed, p.mode, p.control,
            {name: was.get(name, "none") for name in KEYED_VERSIONS},
        )
        if p.stored.key != old:
            out.stale.append(label)
            continue
        if not dry_run:
            record = p.stored.record | {"key": p.key}
            atomic_write(p.stored.folder / "result.json", record_text(record))
        out.rewritten.append(label)
    return out
