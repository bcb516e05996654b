"""Toy reference experiment for the fixture site: a Monte-Carlo estimate of pi converges."""

from dataclasses import dataclass

import numpy as np

from mlcollage.experiment import PALETTE, Claim, Control, Panel


@dataclass(frozen=True)
class Config:
    n: int = 20000
    """Number of uniform points in the unit square."""

    @classmethod
    def quick(cls) -> "Config":
        return cls(n=5000)


CONTROLS = [
    # a control that removes nothing: the fixture for a control under which the claim still holds
    Control(name="more-points", label="twice the points", override={"n": 10000},
            breaks=("near-pi",)),
]


def run(config: Config, ctx) -> dict:
    xy = ctx.rng().random((config.n, 2))  # [n, 2]
    inside = (xy**2).sum(axis=1) <= 1.0
    running = 4 * np.cumsum(inside) / np.arange(1, config.n + 1)
    ctx.progress(1, 1)
    return {"mode": ctx.mode, "estimate": float(running[-1]), "running": running[::50]}


def panels(result: dict) -> list[Panel]:
    def curve(ax):
        ax.plot(result["running"], color=PALETTE["blue"])
        ax.axhline(np.pi, color=PALETTE["gray"], linestyle="--")
        ax.set_xlabel("points / 50")
        ax.set_ylabel("estimate")

    return [Panel("Running estimate", curve)]


def claims(result: dict) -> list[Claim]:
    err = abs(result["estimate"] - np.pi)
    return [
        Claim("near-pi", f"the estimate is within 0.05 of pi: error {err:.4f}", err <= 0.05,
              {"error": err})
    ]
