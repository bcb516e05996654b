"""Helpers shared by the reference-experiment tests: load, run quick in-process, draw panels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlcollage.experiment import (
    call_panels,
    check_claims,
    check_panels,
    control_config,
    controls_of,
    load_experiment,
    roundtrip,
    run_experiment,
)

ROOT = Path(__file__).resolve().parents[2]
DIGEST = ROOT / "site_src" / "2021-02"


def load(slug: str) -> Any:
    return load_experiment(DIGEST / slug / "experiment.py")


def run_mode(module: Any, seed: int = 0, mode: str = "quick", **overrides: Any) -> dict:
    """Run in-process like a worker would, and return the result as the cache gives it back."""
    import dataclasses

    config = module.Config.quick() if mode == "quick" else module.Config()
    config = dataclasses.replace(config, **overrides)
    return roundtrip(run_experiment(module, config, seed=seed, mode=mode, device="cpu"))


def failed_claims(module: Any, result: dict) -> list[str]:
    claims = check_claims(module.claims(result), "claims")
    return [f"{c.statement} {dict(c.evidence)}" for c in claims if not c.holds]


def run_control(module: Any, name: str, seed: int = 0) -> dict:
    """Run the declared control ``name`` in-process, as the build does (its mode, its override)."""
    control = next(c for c in controls_of(module) if c.name == name)
    config = control_config(module, control)
    return roundtrip(run_experiment(module, config, seed=seed, mode=control.mode, device="cpu"))


def still_holding(module: Any, name: str, result: dict) -> list[str]:
    """The claims control ``name`` must break that hold on its ``result`` (should be none)."""
    control = next(c for c in controls_of(module) if c.name == name)
    claims = {c.id: c for c in check_claims(module.claims(result), "claims")}
    missing = [i for i in control.breaks if i not in claims]
    assert not missing, f"control {name} names unknown claims {missing}"
    return [f"{i}: {claims[i].statement}" for i in control.breaks if claims[i].holds]


def draw_panels(module: Any, result: dict, runs: list | None = None) -> int:
    """Draw every panel on its own Axes of an off-screen figure; return how many were drawn."""
    from matplotlib.figure import Figure

    panels = check_panels(call_panels(module, result, runs), "panels")
    fig = Figure(figsize=(4 * len(panels), 3.5))
    for i, panel in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        panel.draw(ax)
        ax.set_title(panel.title)
    fig.canvas.draw()
    return len(panels)


def assert_same_result(
    a: Any, b: Any, skip: frozenset[str] = frozenset(), path: str = "result"
) -> None:
    """Exact equality of two round-tripped results, every number and array (dtype included);
    dict keys in ``skip`` (wall-clock measurements) are not compared."""
    import numpy as np

    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            if k not in skip:
                assert_same_result(a[k], b[k], skip, f"{path}/{k}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), path
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same_result(u, v, skip, f"{path}/{i}")
    else:
        assert a == b, path
