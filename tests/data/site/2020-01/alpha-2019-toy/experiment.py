"""Toy reference experiment for the fixture site: gradient descent recovers a line's slope.

Not a paper's experiment: it exists so that the test suite exercises the whole contract
(Config/quick, run with ctx, panels, claims) in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlcollage.experiment import PALETTE, Claim, Control, Deviation, Panel

# ---------------------------------------------------------------------------------------------
# config


@dataclass(frozen=True)
class Config:
    n: int = 200
    """Number of (x, y) points."""
    slope: float = 2.0
    """True slope of y = slope * x + noise."""
    noise: float = 0.1
    """Standard deviation of the Gaussian noise."""
    steps: int = 300
    """Gradient-descent steps."""
    lr: float = 0.1
    """Step size."""

    @classmethod
    def quick(cls) -> Config:
        return cls(n=100, steps=150)


CONTROLS = [
    Control(
        name="untrained",
        label="the line is not trained (step size 0)",
        override={"lr": 0.0},
        breaks=("slope", "loss-falls"),
    ),
]

DEVIATIONS = [
    Deviation(what="data", paper="none (a fixture)", ours="200 noisy points on a line",
              why="the test suite needs an experiment that runs in well under a second"),
]

# ---------------------------------------------------------------------------------------------
# run


def run(config: Config, ctx) -> dict:
    import torch

    g = ctx.generator()
    x = torch.rand(config.n, generator=g) * 2 - 1  # [n]
    y = config.slope * x + config.noise * torch.randn(config.n, generator=g)
    x, y = x.to(ctx.device), y.to(ctx.device)
    w = torch.zeros((), device=ctx.device, requires_grad=True)
    losses = []
    for step in range(config.steps):
        loss = ((w * x - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= config.lr * w.grad
            w.grad = None
        losses.append(loss.item())
        ctx.progress(step + 1, config.steps)
    return {
        "mode": ctx.mode,
        "slope": config.slope,
        "w": float(w.item()),
        "loss": np.asarray(losses, dtype=np.float32),
        "x": x.cpu().numpy(),
        "y": y.cpu().numpy(),
    }


# ---------------------------------------------------------------------------------------------
# figure and claims


def panels(result: dict) -> list[Panel]:
    def data(ax):
        ax.scatter(result["x"], result["y"], s=6, color=PALETTE["gray"], label="data")
        xs = np.linspace(-1, 1, 2)
        ax.plot(xs, result["w"] * xs, color=PALETTE["blue"], label="fit")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend()

    def loss(ax):
        ax.plot(result["loss"], color=PALETTE["orange"])
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("MSE")

    return [Panel("Data and fit", data), Panel("Training loss", loss)]


def claims(result: dict) -> list[Claim]:
    err = abs(result["w"] - result["slope"])
    drop = float(result["loss"][-1] / result["loss"][0])
    return [
        Claim(
            "slope",
            f"gradient descent recovers the slope: |w - {result['slope']}| = {err:.3f} ≤ 0.05",
            err <= 0.05,
            {"w": result["w"], "abs_error": err},
        ),
        Claim("loss-falls", f"the loss falls: final/initial = {drop:.3f} ≤ 0.1", drop <= 0.1,
              {"ratio": drop}),
    ]
