"""On the Spectral Bias of Neural Networks — reference experiment.

Rahaman, Baratin, Arpit, Draxler, Lin, Hamprecht, Bengio, Courville. ICML 2019.
https://arxiv.org/abs/1806.08734 · official code: https://github.com/nasimrahaman/SpectralBias

Reproduces Fig. 1 (left; a: equal amplitudes, b: amplitudes rising with frequency) and Fig. 2
(the fit at increasing iterations) of Sec. 3, and the parameter-perturbation result of Sec. 4
(lower frequencies are more robust). A ReLU MLP is fitted by full-batch MSE + Adam to

    λ(t) = Σ_i A_i sin(2π k_i t + 2π φ_i),   k = 5, 10, …, 50,   t_j = j/200 (j < 200),

with fresh phases φ_i ~ U[0, 1) per run. Every `record_every` iterations the network's output f on
the 200 inputs is Fourier transformed; the normalized amplitude Ā_k = |f̃(k)|/A_k (mean over runs)
is the colour of the paper's heatmap. The claims are about *when* each frequency is learned: the
iteration at which Ā_k first reaches 0.5. An untrained network (learning rate 0) never reaches it
at any k, so every claim fails under that control.

Deviations from the paper (and the official notebooks), listed as data in `DEVIATIONS`:
- the time scale is compressed: width 128 instead of 256, 3 runs per case instead of 20, and
  per case its own Adam rate and length instead of lr 3e-4 for 60,000 iterations: equal
  amplitudes at lr 2e-3 for 15,000 iterations (every frequency reaches 0.5, in the paper's order,
  2-3× sooner than in the notebook), amplitudes rising with k at lr 1e-3 for 24,000 (8-9 of 10
  reach 0.5, as the notebook's 20-run mean reaches all ten by ~25k; at 2e-3 the louder high k
  stall). The claims compare frequencies within a case, never across cases.
- the R runs of a case are trained together as one batched network (independent weights, summed
  per-run losses, so gradients and Adam states stay independent); weights are drawn from the
  PyTorch default distribution U(±1/√fan_in) with our own seeded generator. Adam is PyTorch's
  fused implementation (the same update, 3× faster on one CPU thread).
- Sec. 4 robustness uses the ICML_Robustness notebook's metric (mean over random directions of
  |f̃_{θ+δu}(k)| / |f̃_θ(k)|) on the equal-amplitude nets of Fig. 1a, with fewer nets (3, not 5),
  a coarser δ grid (11 values in [0, 5], not 100) and fewer directions (24, not 100).
- quick mode (the tests and the negative controls): 2 runs per case, 1,200 iterations at lr 2e-3
  in both cases, so only
  k = 5-15 reach 0.35; "not reached" counts as later than any reached iteration, and the Sec. 4
  claim compares k = 5 with the other (1-3) learned k instead of ranking the learned k.
- "k is learned before k + 5" allows a tie: k + 5 crossing up to 10 % sooner than k still counts
  as in order, because 3 runs do not resolve finer (see `Thresholds.tie`); the Sec. 4 contrast
  compares k = 5 with the other *learned* k (final Ā ≥ the level), where the ratio is defined.
- the per-layer spectral norms of Fig. 1 (right) are not drawn.
"""

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from mlcollage.experiment import CMAP, PALETTE, Claim, Control, Deviation, Panel

#: One or two sentences for the page and slide.
CAVEAT = (
    "Time scale compressed: width 128 and 3 runs (paper: 256, 20); equal amplitudes train for "
    "15,000 Adam steps at lr 2e-3, rising amplitudes for 24,000 at 1e-3, instead of the paper's "
    "60,000 at 3e-4 for both. Every frequency is learned in the paper's order with equal "
    "amplitudes, 8-9 of 10 with rising amplitudes."
)

DEVIATIONS = [
    Deviation("hidden width", "256", "128", "4× cheaper per step on one CPU thread"),
    Deviation(
        "Adam learning rate",
        "3e-4 in both cases",
        "2e-3 equal A, 1e-3 rising A (quick: 2e-3 both)",
        "compresses the time scale 2-3×; at 2e-3 the rising case's loud high k stall "
        "(5-8 of 10 reached in 15,000 iterations), at 1e-3 the equal case is ~1.5× slower",
    ),
    Deviation(
        "training iterations",
        "60,000 in both cases",
        "15,000 equal A, 24,000 rising A (quick: 1,200 both)",
        "the 240 s CPU budget per seed (quick: 15 s)",
    ),
    Deviation(
        "rising-amplitude case (Fig. 1b) learned",
        "all 10 k reach Ā ≥ 0.5 by ~25k iterations",
        "8-9 of 10 within 24,000 (k = 45 and/or 50 short of 0.5)",
        "the budget; its claims count 'not reached' as later than any reached k",
    ),
    Deviation("runs per case", "20", "3 (quick: 2)", "CPU budget; spectra averaged over runs"),
    Deviation("recording interval", "100 iterations", "50 (quick: 25)", "finer crossing times"),
    Deviation(
        "robustness (Sec. 4) sample",
        "5 nets, 100 δ in [0, 5], 100 directions",
        "3 nets, 11 δ in [0, 5], 24 directions (quick: 2 nets, 12)",
        "CPU budget; same metric, mean |f̃_δ(k)|/|f̃_0(k)|",
    ),
    Deviation(
        "batched training",
        "one nn.Sequential per run",
        "the runs of a case as one batched MLP (baddbmm)",
        "speed; gradients and Adam states stay independent",
    ),
    Deviation(
        "order of crossings",
        "read off 20-run heatmaps",
        "k + 5 up to 10 % sooner than k counts as a tie, not a reversal",
        "3-run crossings at k ≥ 30 vary 23 % between seeds; official gaps there are 5-40 %",
    ),
    Deviation(
        "robustness (Sec. 4) comparison",
        "ratio curves of nets that learned every k",
        "k = 5 against the mean of the other learned k (quick: 1-3 of them)",
        "at unlearned k the ratio divides by a residual near 0",
    ),
    Deviation("spectral norms (Fig. 1 right)", "drawn", "not computed", "four panels only"),
]

# ---------------------------------------------------------------------------------------------
# config


@dataclass(frozen=True)
class Config:
    """The official notebook's setup, with the time scale compressed (see `DEVIATIONS`)."""

    n_points: int = 200
    """N equispaced inputs t_j = j/N on [0, 1); FFT bin index = frequency in Hz."""
    freqs: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 35, 40, 45, 50)
    """The target's frequencies k_i in Hz."""
    width: int = 128
    """Hidden width of the MLP (paper: 256)."""
    depth: int = 6
    """Number of Linear layers, as the notebook's DEPTH."""
    lr: tuple[float, float] = (2e-3, 1e-3)
    """Adam learning rate per case (equal, increasing) (paper: 3e-4 for both); 0 is the
    untrained control. At 2e-3 the rising case's louder high k stall (5-8 of 10 reached 0.5 in
    15,000 iterations on seeds 0-2); at 1e-3 the equal case is ~1.5× slower (6-10 of 10 in
    16,000), so each case gets the rate at which it trains within the budget."""
    n_iters: tuple[int, int] = (15000, 24000)
    """Full-batch training iterations per case (equal, increasing) (paper: 60,000 for both).
    The rising-amplitude case takes longer to reach its louder high k (official: ~25k)."""
    record_every: int = 50
    """Record f(t) on the 200 inputs every this many iterations (paper: 100)."""
    n_runs: int = 3
    """Independent runs (phases + init) per amplitude case (paper: 20)."""
    level: float = 0.5
    """Ā_k counts as learned from the first recorded iteration with Ā_k ≥ this (the paper's
    heatmaps: 0.5; quick mode 0.35, because in 1,200 iterations k = 5 of the rising case does not
    always reach 0.5)."""
    perturb_max: float = 5.0
    """Largest perturbation norm δ of Sec. 4 (notebook: 5)."""
    n_perturb: int = 11
    """Size of the δ grid linspace(0, perturb_max, n_perturb) (notebook: 100)."""
    n_perturb_samples: int = 24
    """Random unit directions per δ and net (notebook: 100)."""

    @classmethod
    def quick(cls) -> "Config":
        return cls(
            n_iters=(1200, 1200),
            lr=(2e-3, 2e-3),
            n_runs=2,
            record_every=25,
            level=0.35,
            n_perturb_samples=12,
        )

    def amplitudes(self, case: str) -> np.ndarray:
        """A_i: all 1 ("equal", Fig. 1a) or 0.1, 0.2, …, 1.0 ("increasing", Fig. 1b)."""
        n = len(self.freqs)
        return np.ones(n) if case == "equal" else np.arange(1, n + 1) / n


CASES = ("equal", "increasing")

#: First iteration with Ā_k ≥ 0.5 in the official notebook (20 runs, width 256, lr 3e-4),
#: digitized from its stored Fig. 1 heatmaps (±200 iterations; research note, Sec. 1.3).
OFFICIAL_CROSS = {
    "equal": (400, 1300, 3300, 5500, 6800, 9800, 13700, 14400, 18800, 22200),
    "increasing": (600, 1700, 3100, 5000, 8900, 12600, 16600, 20100, 23100, 24900),
}

# ---------------------------------------------------------------------------------------------
# data and the spectral measure


def target(t: np.ndarray, k, A, phi) -> np.ndarray:
    """λ(t) = Σ_i A_i sin(2π k_i t + 2π φ_i); t [N], phi [R, n_k] -> [R, N]."""
    k, A = np.asarray(k, float), np.asarray(A, float)
    arg = 2 * np.pi * (k[None, :, None] * t[None, None, :] + np.asarray(phi)[:, :, None])
    return (A[None, :, None] * np.sin(arg)).sum(axis=1)


def fourier(f: np.ndarray, k) -> np.ndarray:
    """One-sided complex coefficient 2·FFT[k]/N at integer frequencies k; [..., N] -> [..., n_k].

    On N equispaced points of [0, 1), A sin(2πkt + φ) gives exactly A in modulus (0 < k < N/2).
    """
    n = f.shape[-1]
    return 2 * np.fft.rfft(f, axis=-1)[..., np.asarray(k)] / n


def spectral_amplitude(f: np.ndarray, k, A) -> np.ndarray:
    """The paper's measure |f̃(k_i)| / A_i (Fig. 1); [..., N] -> [..., n_k]."""
    return np.abs(fourier(f, k)) / np.asarray(A, float)


def first_crossing(amp: np.ndarray, its: np.ndarray, level: float = 0.5) -> list:
    """Per frequency, the first recorded iteration with amp ≥ level, or None; amp [T, n_k]."""
    out = []
    for col in np.asarray(amp).T:
        hit = np.flatnonzero(col >= level)
        out.append(int(its[hit[0]]) if hit.size else None)
    return out


def spearman(x, y) -> float:
    """Spearman's ρ; None in x or y is +∞ (ties at the top); 0 when either side is constant."""
    from scipy.stats import rankdata

    def ranks(v):
        return rankdata([np.inf if a is None else a for a in v])

    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def learning_gain(amp: np.ndarray) -> np.ndarray:
    """Time-mean over training of clip(Ā_k, 0, 1) minus its value at initialisation; [T, n_k].

    Large when k is learned early; 0 for a network that never changes (the untrained control),
    whatever spectrum it starts with.
    """
    a = np.clip(np.asarray(amp, float), 0, 1)
    return (a - a[0]).mean(axis=0)


def n_ordered(cross: list, tie: float = 0.0) -> int:
    """How many adjacent pairs (k, k+5) have k reach the level first (None = never = +∞).

    With tie > 0, k + 5 reaching it up to a fraction tie *sooner* than k is a tie, not a
    reversal: the pair counts as in order when cross(k + 5) ≥ (1 − tie)·cross(k).
    """
    return sum(_not_later(a, b, tie) for a, b in zip(cross[:-1], cross[1:], strict=True))


def _not_later(a, b, tie: float = 0.0) -> bool:
    """a is reached, and b not before it (b ≥ (1 − tie)·a; tie = 0: strictly after); None
    means never reached within the budget (= +∞)."""
    if tie == 0.0:
        return a is not None and (b is None or a < b)
    return a is not None and (b is None or b >= (1 - tie) * a)


# ---------------------------------------------------------------------------------------------
# model: R independent ReLU MLPs 1 -> width -> ... -> 1, evaluated together with baddbmm


def init_mlp(n_nets: int, width: int, depth: int, gen) -> list:
    """[(W [R, fan_in, fan_out], b [R, 1, fan_out])] drawn like nn.Linear: U(±1/√fan_in)."""
    sizes = [1] + [width] * (depth - 1) + [1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = fan_in**-0.5
        W = (torch.rand(n_nets, fan_in, fan_out, generator=gen) * 2 - 1) * bound
        b = (torch.rand(n_nets, 1, fan_out, generator=gen) * 2 - 1) * bound
        params.append((W, b))
    return params


def mlp(params: list, x):
    """x [R, N, 1] -> f(x) [R, N, 1]; ReLU after every layer but the last."""
    h = x
    for i, (W, b) in enumerate(params):
        h = torch.baddbmm(b, h, W)
        if i < len(params) - 1:
            h = torch.relu(h)
    return h


# ---------------------------------------------------------------------------------------------
# run


def run(config: Config, ctx) -> dict:
    gen = ctx.generator(0)  # phases first, then the weights, from one stream
    data = make_targets(config, gen)
    params = init_mlp(2 * config.n_runs, config.width, config.depth, gen)
    R, out = config.n_runs, {"mode": ctx.mode, "n_runs": config.n_runs, "level": config.level}
    out["K"] = data["K"].astype(np.int32)
    total, done, trained = sum(config.n_iters), 0, {}
    for c, (case, n_iters, lr) in enumerate(zip(CASES, config.n_iters, config.lr, strict=True)):
        rows = slice(c * R, (c + 1) * R)  # the case's R nets, trained on their own (Fig. 1, 2)
        nets = [(W[rows], b[rows]) for W, b in params]
        tick = partial(lambda i, d: ctx.progress(d + i, total), d=done)
        preds, losses, trained[case] = train(config, nets, data["x"][rows], data["y_t"][rows],
                                             n_iters, lr, ctx.device, tick)  # fmt: skip
        out[f"n_iters_{case}"] = n_iters
        out |= spectra(config, data, case, preds, losses, n_iters)
        done += n_iters
    out["trivial_mse"] = float((data["y"][:R] ** 2).mean())  # MSE of f ≡ 0, equal case
    out["robust"] = perturbation_spectra(config, ctx, trained["equal"], data["x"][:R])  # Sec. 4
    out["perturb_norms"] = np.linspace(0, config.perturb_max, config.n_perturb).astype(np.float32)
    return out


def make_targets(cfg: Config, gen) -> dict:
    """Both cases in one batch of 2R nets: rows [0, R) equal amplitudes, [R, 2R) increasing."""
    K, R, N = np.asarray(cfg.freqs), cfg.n_runs, cfg.n_points
    t = np.arange(N) / N  # [N]
    A = np.stack([cfg.amplitudes(c) for c in CASES])  # [2, n_k]
    phi = torch.rand(2 * R, len(K), generator=gen).double().numpy()  # [2R, n_k], fresh per run
    y = np.concatenate([target(t, K, A[c], phi[c * R : (c + 1) * R]) for c in range(2)])  # [2R, N]
    x = torch.tensor(t, dtype=torch.float32).view(1, N, 1).expand(2 * R, N, 1)
    y_t = torch.tensor(y, dtype=torch.float32).view(2 * R, N, 1)
    return {"K": K, "A": A, "t": t, "y": y, "x": x, "y_t": y_t}


def train(cfg: Config, params: list, x, y, n_iters: int, lr: float, dev, progress):
    """Full-batch MSE + Adam on R nets; returns f on the inputs [T, R, N], per-run MSE [T, R]
    and the trained params. Fused Adam: the same update as the default loop, 3× faster on CPU."""
    params = [(W.to(dev).requires_grad_(), b.to(dev).requires_grad_()) for W, b in params]
    x, y = x.to(dev), y.to(dev)
    opt = torch.optim.Adam([p for pair in params for p in pair], lr=lr, fused=True)
    preds, losses = [], []
    for it in range(n_iters + 1):
        f = mlp(params, x)  # [R, N, 1]
        mse = ((f - y) ** 2).mean(dim=(1, 2))  # [R] per-run loss
        if it % cfg.record_every == 0:
            preds.append(f.detach().squeeze(-1).cpu().numpy())
            losses.append(mse.detach().cpu().numpy())
            progress(it)
        if it == n_iters:
            break
        opt.zero_grad(set_to_none=True)
        mse.sum().backward()  # summed: each net gets its own gradient
        opt.step()
    params = [(W.detach(), b.detach()) for W, b in params]
    return np.stack(preds), np.stack(losses), params


def spectra(cfg: Config, data: dict, case: str, preds, losses, n_iters: int) -> dict:
    """Ā_k over training of one case (Fig. 1 heatmap), its loss, and fit snapshots (Fig. 2);
    preds [T, R, N], losses [T, R]."""
    c, K = CASES.index(case), data["K"]
    its = np.arange(0, n_iters + 1, cfg.record_every)  # [T]
    amp = spectral_amplitude(preds, K, data["A"][c])  # [T, R, n_k]
    snap = sorted({len(its) // 10, len(its) - 1})  # ~10 % and 100 % of training
    return {
        f"its_{case}": its.astype(np.int32),
        f"amp_{case}": amp.mean(axis=1).astype(np.float32),  # Ā [T, n_k], Fig. 1 heatmap
        f"loss_{case}": losses.mean(axis=1).astype(np.float32),  # [T]
        f"target_{case}": data["y"][c * cfg.n_runs].astype(np.float32),  # run 0 of the case
        f"snap_its_{case}": its[snap].astype(np.int32),
        f"snap_{case}": preds[snap, 0].astype(np.float32),  # [2, N]
    }


def perturbation_spectra(cfg: Config, ctx, params: list, x) -> np.ndarray:
    """Sec. 4 (ICML_Robustness notebook): mean |f̃_{θ+δu}(k)| / |f̃_θ(k)| per δ and k.

    For each trained net θ (R of them) and δ on the grid, draw S directions u ~ N(0, I) scaled
    to |u| = 1 over all parameters jointly; average |f̃_{θ+δu}(k)| over the S samples, divide by
    |f̃_θ(k)|, and average over the R nets. Returns [n_perturb, n_k] (1 at δ = 0).
    """
    R, S, K = params[0][0].shape[0], cfg.n_perturb_samples, np.asarray(cfg.freqs)
    gen = ctx.generator(1)
    flat = [p.cpu() for pair in params for p in pair]
    x = x.cpu()
    with torch.no_grad():
        f0 = mlp(params, x.to(params[0][0].device)).squeeze(-1).cpu().numpy()  # [R, N]
        a0 = np.abs(fourier(f0.astype(np.float64), K))  # [R, n_k]
        xs = x.repeat_interleave(S, dim=0)  # [R*S, N, 1]
        out = []
        for delta in np.linspace(0, cfg.perturb_max, cfg.n_perturb):
            u = [torch.randn((R * S, *p.shape[1:]), generator=gen) for p in flat]
            norm = torch.sqrt(sum((v**2).flatten(1).sum(1) for v in u))  # [R*S]
            kicked = [
                p.repeat_interleave(S, dim=0) + v * (delta / norm).view(-1, 1, 1)
                for p, v in zip(flat, u, strict=True)
            ]
            f = mlp(list(zip(kicked[::2], kicked[1::2], strict=True)), xs).squeeze(-1)
            a = np.abs(fourier(f.numpy().astype(np.float64).reshape(R, S, -1), K))  # [R, S, n_k]
            out.append((a.mean(axis=1) / np.maximum(a0, 1e-12)).mean(axis=0))
    return np.stack(out).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# figure

CASE_LABEL = {"equal": "equal A", "increasing": "A rising with k"}
CASE_COLOR = {"equal": PALETTE["blue"], "increasing": PALETTE["orange"]}


def draw_heatmaps(ax, result: dict) -> None:
    """Fig. 1a and 1b side by side in one panel, one colour scale (the colorbar on the right)."""
    ax.set_axis_off()
    left = ax.inset_axes((0.0, 0.0, 0.42, 0.86))
    right = ax.inset_axes((0.5, 0.0, 0.42, 0.86))
    im = draw_heatmap(left, result, "equal", colorbar=False)
    draw_heatmap(right, result, "increasing", colorbar=False, ylabel=False)
    for a, text in ((left, "equal A"), (right, "A rising 0.1 → 1.0")):
        a.text(0.5, 1.03, text, transform=a.transAxes, ha="center", va="bottom", fontsize=10)
    cax = ax.inset_axes((0.95, 0.0, 0.03, 0.86))
    ax.figure.colorbar(im, cax=cax)
    cax.text(0.5, 1.03, "Ā_k", transform=cax.transAxes, ha="center", va="bottom", fontsize=10)


def draw_heatmap(ax, result: dict, case: str, colorbar: bool = True, ylabel: bool = True):
    amp, K, n = result[f"amp_{case}"], result["K"], int(result[f"n_iters_{case}"])
    half = (K[1] - K[0]) / 2
    im = ax.imshow(
        np.clip(amp, 0, 1),
        origin="lower",
        aspect="auto",
        cmap=CMAP,
        vmin=0,
        vmax=1,
        extent=(K[0] - half, K[-1] + half, 0, n),
        interpolation="nearest",
    )
    cross = summary(result)[case]["cross"]
    hit = [c is not None for c in cross]
    ax.plot(K[hit], [c for c in cross if c is not None], "o", ms=4, mfc="white", mec="black",
            mew=0.6, label=f"first Ā_k ≥ {result['level']:g}")  # fmt: skip
    ax.grid(False)
    ax.set_xticks(K[::2])
    ax.set_xlabel("frequency k [Hz]")
    if ylabel:
        ax.set_ylabel("training iteration")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:g}k")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="Ā_k")
    return im


def draw_fit(ax, result: dict) -> None:
    y, preds, its = result["target_equal"], result["snap_equal"], result["snap_its_equal"]
    n = len(y) // 2  # first half of [0, 1): the k = 50 wiggles stay visible
    t = np.arange(len(y))[:n] / len(y)
    ax.plot(t, y[:n], color=PALETTE["ink"], lw=2.4, alpha=0.35, label="target λ")
    for f, it, c in zip(preds, its, ("orange", "blue"), strict=False):
        ax.plot(t, f[:n], color=PALETTE[c], lw=1.0, label=f"iteration {int(it):,}")
    lo, hi = float(y.min()), float(y.max())
    ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.3 * (hi - lo))  # headroom for the legend
    ax.set_xlabel("t")
    ax.set_ylabel("f(t)")
    ax.legend(loc="upper center", fontsize=8, ncol=3, framealpha=0.9)


def draw_learning_time(ax, result: dict, runs: list) -> None:
    """Crossing iteration per k: every seed (small markers), the first seed (line), official."""
    K, n = result["K"], max(int(result[f"n_iters_{case}"]) for case in CASES)
    top = 1.3 * n  # where "not reached" is drawn, above the budget line
    for case in CASES:
        color = CASE_COLOR[case]
        for r in runs[1:]:
            y = [top if c is None else c for c in summary(r)[case]["cross"]]
            ax.plot(K, y, ".", color=color, ms=4, alpha=0.6)
        cross = summary(result)[case]["cross"]
        y = np.array([top if c is None else c for c in cross], float)
        hit = np.array([c is not None for c in cross])
        ax.plot(K, y, "-o", color=color, ms=4, lw=1.5, label=f"ours, {CASE_LABEL[case]}")
        ax.plot(K[~hit], y[~hit], "o", mfc="white", color=color, ms=5)
        ax.plot(K, OFFICIAL_CROSS[case], "--", color=color, lw=1, alpha=0.8,
                label=f"official, {CASE_LABEL[case]}")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(100, 4 * n)
    ax.axhline(n, color=PALETTE["gray"], ls=":", lw=1)
    ax.axhspan(1.15 * n, 1.45 * n, color=PALETTE["gray"], alpha=0.12, lw=0)
    ax.text(K[0], 1.6 * n, f"open: not reached in {n:,}", fontsize=8, color=PALETTE["gray"])
    ax.set_xticks(K)
    ax.set_xlabel("frequency k [Hz]")
    ax.set_ylabel(f"iteration Ā_k first ≥ {result['level']:g}")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)


def draw_robustness(ax, result: dict) -> None:
    """Sec. 4: mean |f̃_δ(k)|/|f̃_0(k)| against the perturbation norm δ, one line per learned k."""
    import matplotlib

    s, delta = summary(result), np.asarray(result["perturb_norms"], float)
    ratio, K = np.asarray(result["robust"], float), s["K"]
    cmap = matplotlib.colormaps[CMAP]
    for i in np.flatnonzero(s["learned"]):
        ax.plot(delta, ratio[:, i], color=cmap(i / (len(K) - 1)), lw=1.6, label=f"k = {K[i]}")
    ax.axhline(1.0, color=PALETTE["gray"], ls=":", lw=1)
    ax.set_xlabel("perturbation norm δ")
    ax.set_ylabel("|f̃_δ(k)| / |f̃_0(k)|")
    ax.legend(loc="upper center", fontsize=9, ncol=5, framealpha=0.9, handlelength=1.2,
              columnspacing=0.8)  # fmt: skip
    top = float(np.nanmax(ratio[:, s["learned"]])) if s["learned"].any() else 1.0
    ax.set_ylim(0, 2.1 * max(top, 1.0))  # headroom: the legend's two rows sit above the curves


def panels(result: dict, runs: list) -> list:
    n_seeds, lv = len(runs), result["level"]
    return [
        Panel(
            "Spectrum over training",
            partial(draw_heatmaps, result=result),
            "Normalized amplitude Ā_k of the network's output at each target frequency, with "
            "equal amplitudes (Fig. 1a) and amplitudes rising from 0.1 at k = 5 to 1.0 at k = 50 "
            f"(Fig. 1b); white dots: first iteration with Ā_k ≥ {lv:g}. Low frequencies light "
            "up first, even where the high ones are 10× louder.",
        ),
        Panel(
            "Fit over training",
            partial(draw_fit, result=result),
            "Target (grey) and the output of one run early in training and at the end (Fig. 2): "
            "smooth first, then the fine wiggles. First half of [0, 1) shown.",
        ),
        Panel(
            "When each k is learned",
            partial(draw_learning_time, result=result, runs=runs),
            f"Iteration at which Ā_k first reaches {lv:g} (log scale): ours (solid; dots: all "
            f"{n_seeds} seeds) and the official notebook (dashed; width 256, lr 3e-4, 20 runs). "
            "(official: 0.5). Open markers: not reached within the budget.",
        ),
        Panel(
            "Robustness to parameter noise (Sec. 4)",
            partial(draw_robustness, result=result),
            "Trained equal-A networks perturbed by a random direction of norm δ in parameter "
            "space: the fraction of each learned frequency's amplitude that survives (mean over "
            "directions and nets). Low k survive larger perturbations.",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# claims


@dataclass(frozen=True)
class Thresholds:
    rho_min: float
    """Spearman ρ(k, −gain of Ā_k over initialisation) needed in each case."""
    min_crossed: tuple[int, int]
    """How many k must reach the level at all (equal, increasing): the floor on 'learned'."""
    min_ordered: tuple[int, int]
    """Adjacent pairs (of 9) with k reaching the level before k + 5 (equal, increasing), a
    reversal within `tie` counting as a tie."""
    tie: float
    """k + 5 crossing up to this fraction sooner than k is a tie, not a reversal. 0.1 in both
    modes: on full seeds 0-2 the crossing of a 3-run mean at k = 30-50 varies by 23 % between
    seeds (coefficient of variation; 12-32 % per k), while the official 20-run curve's own gaps
    between neighbours there are 5-40 % (k = 35 → 40: 5 %), so a reversal by < 10 % is below
    what 3 runs resolve; a larger one still counts against the order."""
    official_rho: float
    """Spearman ρ between our crossing iterations and the official ones, in each case."""
    ratio_range: tuple[float, float] | None
    """cross(50)/cross(5), equal A, must lie in this range (official ≈ 55); None: not judged."""
    louder_ratio: float
    """Increasing A: cross(50)/cross(5) at least this (None for k = 50 counts as +∞)."""
    max_mse_ratio: float
    """Final MSE over the MSE of f ≡ 0, equal A."""
    robust_min_learned: int
    """Sec. 4 is judged on the k with final Ā_k ≥ the level (equal A); at least this many."""
    robust_contrast: float
    """Mean ratio over δ at k = 5 divided by its mean over the other learned k (final Ā_k ≥
    the level, equal A): more than this."""
    robust_rho: float | None
    """Spearman ρ(k, −mean ratio over δ) over the learned k; None: not judged (quick mode, where
    only 2-3 k are learned)."""


THRESHOLDS = {
    "full": Thresholds(  # set from full seeds 0-2 and the paper's table: with rising A, 8-9 of 10
        rho_min=0.9,  # k reach 0.5 in 24,000 iterations at lr 1e-3, 8 of 9 pairs in order
        min_crossed=(9, 7),
        min_ordered=(8, 7),
        tie=0.1,
        official_rho=0.95,  # the issue: ρ ≥ 0.95 (seeds 0-2: 0.96-1.00)
        ratio_range=(55.5 / 3, 55.5 * 3),
        louder_ratio=5.0,
        max_mse_ratio=0.15,
        robust_min_learned=8,
        robust_contrast=1.5,
        robust_rho=0.8,
    ),
    "quick": Thresholds(  # set from quick seeds 100-119 (1,200 iterations: 2-4 k reach 0.35)
        rho_min=0.8,
        min_crossed=(2, 1),
        min_ordered=(2, 1),
        tie=0.1,
        official_rho=0.5,
        ratio_range=None,
        louder_ratio=1.0,
        max_mse_ratio=0.8,
        robust_min_learned=2,
        robust_contrast=1.0,
        robust_rho=None,
    ),
}

CONTROLS = [
    Control(
        name="untrained",
        label="the network is not trained (learning rate 0)",
        override={"lr": (0.0, 0.0)},
        breaks=(
            "low-first",
            "low-first-louder",
            "crossings-ordered",
            "louder-still-later",
            "matches-official",
            "fits",
            "robust-low",
        ),
    ),
]


def summary(result: dict) -> dict:
    """The numbers the claims and panels use, computed from the stored arrays."""
    K = np.asarray(result["K"])
    s = {"K": K}
    for case in CASES:
        its = np.asarray(result[f"its_{case}"])
        amp = np.asarray(result[f"amp_{case}"], float)  # Ā [T, n_k]
        loss = np.asarray(result[f"loss_{case}"], float)
        cross = first_crossing(amp, its, result["level"])  # first iteration Ā_k ≥ level or None
        gain = learning_gain(amp)
        s[case] = {
            "cross": cross,
            "level": float(result["level"]),
            "n_crossed": sum(c is not None for c in cross),
            "gain": gain,
            "rho": spearman(K, -gain),  # ρ(k, −gain): 1 when lower k gain more, sooner
            "rho_official": spearman(OFFICIAL_CROSS[case], cross),
            "ordered": n_ordered(cross),
            "final": amp[-1],
            "mse_ratio": float(loss[-1] / loss[0]) if loss[0] > 0 else np.inf,
        }
    ratio = np.asarray(result["robust"], float)  # [n_δ, n_k]
    s["retention"] = ratio.mean(axis=0)  # mean over the δ grid, per k
    s["learned"] = s["equal"]["final"] >= result["level"]
    m = s["learned"]
    s["robust_rho"] = spearman(K[m], -s["retention"][m]) if m.sum() >= 2 else 0.0
    return s


def _show(c) -> str:
    return "never" if c is None else f"{c:,}"


def _iters(c) -> int:
    """A crossing iteration as evidence; -1 stands for "not reached within the budget"."""
    return -1 if c is None else c


def claims(result: dict) -> list:
    s, th = summary(result), THRESHOLDS[result["mode"]]
    eq, inc, n = s["equal"], s["increasing"], int(result["n_iters_increasing"])
    return [
        Claim(id="low-first", **low_first(eq, th, 0, "equal amplitudes")),
        Claim(id="low-first-louder", **low_first(inc, th, 1, "amplitudes rising 10× with k")),
        claim_ordered(eq, inc, th),
        claim_louder_later(inc, th, n),
        claim_official(eq, inc, th),
        claim_fits(result, eq, th),
        claim_robust(s, th, result["level"]),
    ]


def low_first(c: dict, th: Thresholds, i: int, what: str) -> dict:
    """Statement, verdict and evidence of the two order claims (case i: 0 equal, 1 rising)."""
    holds = c["rho"] >= th.rho_min and c["n_crossed"] >= th.min_crossed[i]
    return dict(
        statement=f"With {what}, lower frequencies are learned first: Spearman ρ between k and "
        f"−(gain of Ā_k over its value at initialisation, averaged over training) = "
        f"{c['rho']:.2f} (≥ {th.rho_min}); {c['n_crossed']} of 10 k reach Ā ≥ {c['level']:g} "
        f"(≥ {th.min_crossed[i]})",
        holds=holds,
        evidence={"rho": c["rho"], "n_crossed": c["n_crossed"], "threshold": th.rho_min},
    )


def claim_ordered(eq: dict, inc: dict, th: Thresholds) -> Claim:
    n_eq, n_inc = n_ordered(eq["cross"], th.tie), n_ordered(inc["cross"], th.tie)
    holds = n_eq >= th.min_ordered[0] and n_inc >= th.min_ordered[1]
    return Claim(
        id="crossings-ordered",
        statement=f"Frequency k reaches Ā ≥ {eq['level']:g} before k + 5 (or within "
        f"{th.tie:.0%} of it, a tie at 3 runs' resolution) in {n_eq} of 9 adjacent pairs with "
        f"equal A (≥ {th.min_ordered[0]}; strictly before: {eq['ordered']}) and {n_inc} of 9 "
        f"with A rising (≥ {th.min_ordered[1]}; strictly: {inc['ordered']}); equal-A crossings "
        f"{', '.join(_show(c) for c in eq['cross'])}",
        holds=holds,
        evidence={"ordered_equal": n_eq, "ordered_increasing": n_inc,
                  "strict_equal": eq["ordered"], "strict_increasing": inc["ordered"],
                  "tie": th.tie},
    )  # fmt: skip


def claim_louder_later(inc: dict, th: Thresholds, n: int) -> Claim:
    c5, c50 = inc["cross"][0], inc["cross"][-1]
    ratio = (c50 if c50 is not None else np.inf) / c5 if c5 else 0.0
    shown = f"{ratio:.0f}×" if np.isfinite(ratio) else f"> {n / c5:.0f}× (never within {n:,})"
    return Claim(
        id="louder-still-later",
        statement=f"Even when k = 50 is 10× louder than k = 5, k = 5 is learned first: it reaches "
        f"Ā ≥ {inc['level']:g} at iteration {_show(c5)}, k = 50 at {_show(c50)}, {shown} later "
        f"(≥ {th.louder_ratio:g}×)",
        holds=c5 is not None and ratio >= th.louder_ratio,
        evidence={"cross_5": _iters(c5), "cross_50": _iters(c50),
                  "ratio": ratio if np.isfinite(ratio) else n / c5},
    )  # fmt: skip


def claim_official(eq: dict, inc: dict, th: Thresholds) -> Claim:
    rho_e, rho_i = eq["rho_official"], inc["rho_official"]
    holds = min(rho_e, rho_i) >= th.official_rho
    text = (
        f"Our crossing iterations rank like the official notebook's: ρ = {rho_e:.2f} (equal A), "
        f"{rho_i:.2f} (A rising) ≥ {th.official_rho}"
    )
    ev = {"rho_equal": rho_e, "rho_increasing": rho_i}
    c5, c50 = eq["cross"][0], eq["cross"][-1]
    official = OFFICIAL_CROSS["equal"][-1] / OFFICIAL_CROSS["equal"][0]
    if th.ratio_range is not None:
        lo, hi = th.ratio_range
        ratio = c50 / c5 if None not in (c5, c50) else 0.0
        holds = holds and lo <= ratio <= hi
        text += f"; cross(50)/cross(5) = {ratio:.0f} (official {official:.0f}; in [{lo:g}, {hi:g}])"
        ev["ratio_50_5"] = ratio
    return Claim(id="matches-official", statement=text, holds=holds, evidence=ev)


def claim_fits(result: dict, eq: dict, th: Thresholds) -> Claim:
    mse = eq["mse_ratio"] * float(result["loss_equal"][0])
    rel = mse / result["trivial_mse"]
    return Claim(
        id="fits",
        statement=f"The network fits the target (equal A): final MSE {mse:.3f} is {rel:.3f}× "
        f"that of f ≡ 0 (≤ {th.max_mse_ratio:g}×)",
        holds=rel <= th.max_mse_ratio,
        evidence={"mse": mse, "trivial_mse": result["trivial_mse"], "ratio": rel},
    )


def claim_robust(s: dict, th: Thresholds, level: float) -> Claim:
    """k = 5 against the *other learned* k: the notebook's ratio divides by |f̃_θ(k)|, which
    for a k the net has not learned is a residual near 0 (quick runs: ratios up to 1.9 at
    k = 30-50, where the net has Ā ≈ 0.1), so only learned k are compared (Sec. 4 perturbs
    nets that have learned every k)."""
    learned = np.flatnonzero(s["learned"])
    others = learned[learned > 0]  # learned k other than k = 5
    kept_5 = float(s["retention"][0])
    kept_other = float(s["retention"][others].mean()) if others.size else 0.0
    ok = s["learned"][0] and others.size > 0 and kept_other > 0
    contrast = kept_5 / kept_other if ok else 0.0
    holds = bool(ok) and len(learned) >= th.robust_min_learned and contrast > th.robust_contrast
    shown = ", ".join(str(k) for k in s["K"][others]) or "none"
    text = (
        f"Learned low frequencies are more robust to random parameter perturbations (Sec. 4): "
        f"mean |f̃_δ(k)|/|f̃_0(k)| over δ ∈ [0, 5] is {kept_5:.2f} at k = 5 and {kept_other:.2f} "
        f"over the other learned k ({contrast:.2f}×, > {th.robust_contrast:g}×); "
        f"{len(learned)} k reach final Ā ≥ {level:g} (≥ {th.robust_min_learned}; k = 5 and "
        f"{shown})"
    )
    if th.robust_rho is not None:
        holds = holds and s["robust_rho"] >= th.robust_rho
        text += f"; over those, ρ(k, −ratio) = {s['robust_rho']:.2f} (≥ {th.robust_rho})"
    return Claim(
        id="robust-low",
        statement=text,
        holds=holds,
        evidence={"rho": s["robust_rho"], "n_learned": len(learned), "kept_5": kept_5,
                  "kept_other_learned": kept_other, "contrast": contrast},
    )  # fmt: skip
