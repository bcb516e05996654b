"""Cluster resources (`experiment: {resources: ...}`, site.yaml `resources:`): check and parse.

    resources: {gpus: 1, time: 30m, mem: 8G, partition: gpu, cpus: 4}

Durations are written with units (`45s`, `30m`, `2h`, `1h30m`, `1d`), memory with a unit
(`500M`, `8G`, `1T`; a trailing `B` or `iB` is allowed). Only `--executor slurm` and
`submitit-local` read them (`slurm_parameters`); they never change a result or its cache key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from mlcollage.model import Resources

_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_MEM_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?$", re.IGNORECASE)
_MEM_GB = {"K": 1 / 2**20, "M": 1 / 2**10, "G": 1.0, "T": 2.0**10}


def duration_min(value: Any) -> int | None:
    """Minutes (rounded up) of a duration such as '1h30m'; None if it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace(" ", "")
    m = _DURATION_RE.match(text)
    if not text or m is None or not any(m.groups()):
        return None
    d, h, mi, s = (int(g or 0) for g in m.groups())
    seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    return math.ceil(seconds / 60) if seconds > 0 else None


def mem_gb(value: Any) -> float | None:
    """Gigabytes of a memory size such as '8G' or '500MB'; None if it is not one."""
    if not isinstance(value, str):
        return None
    m = _MEM_RE.match(value.strip())
    if m is None or float(m.group(1)) <= 0:
        return None
    return float(m.group(1)) * _MEM_GB[m.group(2).upper()]


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


RESOURCE_FIELDS: dict[str, tuple[Callable[[Any], bool], str, bool]] = {
    "gpus": (_count, "a number of GPUs such as 1", False),
    "time": (lambda v: duration_min(v) is not None, "a duration such as 30m, 2h or 1h30m", False),
    "mem": (lambda v: mem_gb(v) is not None, "a memory size such as 8G or 500M", False),
    "partition": (lambda v: isinstance(v, str) and v.strip() != "", "a partition name", False),
    "cpus": (lambda v: _count(v) and v > 0, "a positive number of CPUs", False),
}
"""Field -> (check, what is expected, required), the shape `content.py` validates with."""


def to_resources(data: dict[str, Any] | None) -> Resources:
    """A checked `resources:` mapping as `Resources` (unset fields stay None)."""
    data = data or {}
    return Resources(
        gpus=data.get("gpus"),
        time_min=duration_min(data["time"]) if "time" in data else None,
        mem_gb=mem_gb(data["mem"]) if "mem" in data else None,
        partition=str(data["partition"]).strip() if "partition" in data else None,
        cpus=data.get("cpus"),
    )
