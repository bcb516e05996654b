"""Randomized Automatic Differentiation: unbiased, memory-light gradients for an MLP.

Oktay, McGreivy, Aduol, Beatson & Adams, "Randomized Automatic Differentiation", ICLR 2021,
https://arxiv.org/abs/2007.10412
(code: https://github.com/PrincetonLIPS/RandomizedAutomaticDifferentiation).

Reproduces the feedforward half of the paper's fixed-memory-budget comparison (the MNIST
training-loss curves): RAD at keep fraction p = 0.1 with batch 150 against plain backprop with
the batch shrunk until it needs the same memory. RAD (Sec. 3-4) leaves dL/da = W^T delta exact and
randomizes only the weight gradient dL/dW = delta a^T: the forward pass stores a reduced copy of
the layer input a, and backward rebuilds a^ with E[a^] = a, so the gradient stays unbiased.
Estimators (as in the official `RandMatMul`, k = ceil(p d) of the d input features):

* "same": k indices drawn with replacement, one set per mini-batch, values scaled by d/k;
* "diff": the same, but an independent index set per example;
* "proj": a^ = (a P) P^T with a Rademacher P in {+-1/sqrt(k)}^{d x k}, so E[P P^T] = I;
* "norescale": "same" without the d/k factor -- a deliberately biased control.

The indices / P are never stored: each call keeps only an integer seed and regenerates them in
backward. ReLU stores its Jacobian as a bit-packed 1-bit mask (the paper's accounting, Fig. 4
caption), so the memory numbers here are *measured* (saved_tensors_hooks), not derived.

Deviations from the paper, stated plainly:

* data: scikit-learn's 8x8 digits (1437 train / 360 test) instead of MNIST; the net is
  64-256-256-256-10 instead of 784-300-300-300-10;
* 600 Adam steps (200 in quick mode) instead of 20k, no StepLR schedule, no weight decay; the
  learning rate is picked per method from {1e-3, 3e-3} by final training loss instead of the
  paper's per-method random search (quick mode: 1e-3 for both methods, no search);
* only the MNIST-like feedforward experiment: no CIFAR conv net, no IRNN, no reaction-diffusion PDE;
* the memory-matched batch is derived from our measured bytes (float layer inputs + 1-bit masks,
  the input layer included): 12.7 % of memory -> batch 19 (the paper used 20 for MNIST);
* the official code saves the full float ReLU input; here ReLU saves a real 1-bit mask;
* the unbiasedness test uses one fixed batch after 50 warm-up steps; its statistics are over the
  weight-gradient coordinates (bias gradients and backpropagated deltas are exact in RAD).

Not claimed: at equal memory RAD's gradient is *noisier* than the small batch's (panel 4); it
converges faster anyway, because its noise is confined to the weight gradients.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mlcollage.experiment import PALETTE, Claim, Panel

# Shown on the page and the slide beside the claims.
CAVEAT = (
    "Not claimed: at equal memory RAD's gradient is noisier than the small batch's (last panel); "
    "it converges faster anyway. Digits and a 600-step budget stand in for the paper's MNIST runs."
)

# ---------------------------------------------------------------------------------------------
# config

RAD_MODES = ("diff", "same", "proj")
METHODS = ("baseline", "rad_diff", "rad_same", "rad_proj", "small_batch")


@dataclass(frozen=True)
class Config:
    """The paper's MNIST-FC setup, scaled to 8x8 digits; defaults are the full run."""

    hidden: tuple[int, ...] = (256, 256, 256)  # hidden widths (paper: 300-300-300)
    batch: int = 150  # B for the baseline and for RAD (paper: 150)
    keep: float = 0.1  # RAD keep fraction p used for training (paper: 0.1)
    keep_grid: tuple[float, ...] = (1.0, 0.5, 0.2, 0.1, 0.05)  # p values of the memory table
    mem_modes: tuple[str, ...] = RAD_MODES  # estimators whose memory is measured
    n_warm: int = 50  # exact Adam steps before the estimator tests
    unbiased_modes: tuple[str, ...] = ("diff", "same", "proj", "norescale")  # T-statistic runs
    n_draws: int = 200  # N RAD draws per mode for the T statistic
    var_modes: tuple[str, ...] = RAD_MODES  # estimators of the variance-vs-p sweep
    var_keeps: tuple[float, ...] = (0.5, 0.2, 0.1, 0.05)  # p values of the variance sweep
    n_var_draws: int = 100  # draws per (mode, p) in the variance sweep
    n_noise_draws: int = 60  # draws per estimator for the noise-vs-full-gradient comparison
    methods: tuple[str, ...] = METHODS  # training runs at a fixed memory budget
    lrs: tuple[float, ...] = (1e-3, 3e-3)  # Adam learning rates tried per method
    n_steps: int = 600  # training iterations (paper: 20k)
    eval_every: int = 25  # iterations between full-training-set loss evaluations

    @classmethod
    def quick(cls) -> "Config":
        """Seconds on a CPU: diff estimator vs control, three p values, two methods, 200 steps."""
        return cls(
            mem_modes=("diff",),
            unbiased_modes=("diff", "norescale"),
            n_draws=100,
            var_modes=("diff",),
            var_keeps=(0.5, 0.2, 0.1),
            n_var_draws=50,
            n_noise_draws=25,
            methods=("rad_diff", "small_batch"),
            lrs=(1e-3,),
            n_steps=200,
            eval_every=20,
        )


# ---------------------------------------------------------------------------------------------
# data


def load_data(ctx, device) -> dict:
    """8x8 digits / 16, shuffled by the seed, 80/20 split, standardised with train statistics."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32) / 16.0  # (1797, 64)
    perm = ctx.rng(0).permutation(len(X))
    X, y = X[perm], y[perm]
    n_train = int(0.8 * len(X))  # 1437
    mu, sd = X[:n_train].mean(0), X[:n_train].std(0) + 1e-2
    X = (X - mu) / sd

    def t(a, dtype):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype).to(device)

    return {
        "x": t(X[:n_train], torch.float32),
        "y": t(y[:n_train], torch.long),
        "x_test": t(X[n_train:], torch.float32),
        "y_test": t(y[n_train:], torch.long),
    }


# ---------------------------------------------------------------------------------------------
# model: RAD linear layer and 1-bit ReLU as autograd Functions


class Rad:
    """Which estimator the RAD layers use, and the seed stream their per-call seeds come from."""

    def __init__(self, mode: str, p: float, seeds: torch.Generator):
        self.mode, self.p, self.seeds = mode, p, seeds

    def next_seed(self) -> int:
        return int(torch.randint(2**62, (1,), generator=self.seeds))


def _sample(mode: str, seed: int, B: int, d: int, k: int, device) -> torch.Tensor:
    """Regenerate the random indices (same/diff/norescale) or matrix P (proj) from a seed."""
    g = torch.Generator().manual_seed(seed)  # CPU stream: identical draws on CPU and CUDA
    if mode == "proj":
        P = (2.0 * torch.randint(2, (d, k), generator=g) - 1.0) / math.sqrt(k)  # (d, k)
        return P.to(device)
    rows = B if mode == "diff" else 1
    return torch.randint(d, (rows, k), generator=g).to(device)  # (rows, k), with replacement


def reduce_input(a: torch.Tensor, mode: str, p: float, seed: int) -> torch.Tensor:
    """What the forward pass keeps of the layer input a (B, d): a reduced (B, k) tensor."""
    B, d = a.shape
    k = math.ceil(p * d - 1e-9)
    r = _sample(mode, seed, B, d, k, a.device)
    if mode == "proj":
        return a @ r  # (B, k)
    scale = 1.0 if mode == "norescale" else d / k  # E[count_j] = k/d, so d/k makes it unbiased
    return a.gather(1, r.expand(B, k)) * scale  # (B, k)


def expand_input(a_red: torch.Tensor, mode: str, d: int, seed: int) -> torch.Tensor:
    """The backward pass's estimate a^ (B, d) of the layer input, with E[a^] = a."""
    B, k = a_red.shape
    r = _sample(mode, seed, B, d, k, a_red.device)
    if mode == "proj":
        return a_red @ r.T  # (B, d) = a P P^T
    return torch.zeros(B, d, dtype=a_red.dtype, device=a_red.device).scatter_add_(
        1, r.expand(B, k), a_red
    )  # repeated indices accumulate, as sampling with replacement requires


class RadLinear(torch.autograd.Function):
    """h = a W^T + b; backward: exact dL/da = delta W, randomized dL/dW = delta^T a^ (Sec. 4)."""

    @staticmethod
    def forward(ctx, a, W, b, rad):
        ctx.exact = rad is None or rad.mode == "exact" or rad.p >= 1.0
        if ctx.exact:
            ctx.save_for_backward(a, W)
        else:
            ctx.mode, ctx.d, ctx.seed = rad.mode, a.shape[1], rad.next_seed()
            ctx.save_for_backward(reduce_input(a, rad.mode, rad.p, ctx.seed), W)
        return F.linear(a, W, b)  # (B, m)

    @staticmethod
    def backward(ctx, delta):  # delta: (B, m)
        saved, W = ctx.saved_tensors
        a_hat = saved if ctx.exact else expand_input(saved, ctx.mode, ctx.d, ctx.seed)
        da = delta @ W if ctx.needs_input_grad[0] else None  # exact: needs no activation
        return da, delta.T @ a_hat, delta.sum(0), None


def pack_bits(mask: torch.Tensor) -> torch.Tensor:
    """Bool tensor -> uint8 tensor holding 8 entries per byte (little-endian bit order)."""
    flat = mask.flatten()
    flat = F.pad(flat.to(torch.uint8), (0, (-flat.numel()) % 8))
    shifts = torch.arange(8, device=mask.device, dtype=torch.uint8)
    return (flat.view(-1, 8) << shifts).sum(1, dtype=torch.uint8)  # (ceil(n/8),)


def unpack_bits(packed: torch.Tensor, n: int) -> torch.Tensor:
    """Inverse of pack_bits: the first n bits as a bool tensor (n,)."""
    shifts = torch.arange(8, device=packed.device, dtype=torch.uint8)
    return ((packed.unsqueeze(1) >> shifts) & 1).bool().flatten()[:n]


class BitReLU(torch.autograd.Function):
    """ReLU that saves its Jacobian as a 1-bit-per-entry mask, not the float input."""

    @staticmethod
    def forward(ctx, h):
        mask = h > 0
        ctx.shape = h.shape
        ctx.save_for_backward(pack_bits(mask))
        return torch.where(mask, h, torch.zeros((), dtype=h.dtype, device=h.device))

    @staticmethod
    def backward(ctx, grad):
        (packed,) = ctx.saved_tensors
        mask = unpack_bits(packed, grad.numel()).view(ctx.shape)
        return torch.where(mask, grad, torch.zeros((), dtype=grad.dtype, device=grad.device))


def init_params(sizes: list[int], g: torch.Generator, device) -> list[tuple]:
    """nn.Linear's default init, U(-1/sqrt(d), 1/sqrt(d)), drawn on the CPU."""
    params = []
    for d, m in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / math.sqrt(d)
        W = (torch.rand(m, d, generator=g) * 2 - 1) * bound  # (m, d)
        b = (torch.rand(m, generator=g) * 2 - 1) * bound  # (m,)
        params.append((W.to(device).requires_grad_(), b.to(device).requires_grad_()))
    return params


def forward(params, x, rad: Rad | None = None) -> torch.Tensor:
    """The MLP with RAD linear layers (every layer, the input layer included) and 1-bit ReLUs."""
    h = x  # (B, 64)
    for i, (W, b) in enumerate(params):
        h = RadLinear.apply(h, W, b, rad)
        if i < len(params) - 1:
            h = BitReLU.apply(h)
    return h  # (B, 10) logits


def forward_plain(params, x) -> torch.Tensor:
    """The same MLP with stock autograd (F.linear, F.relu): the exact reference."""
    for i, (W, b) in enumerate(params):
        x = F.linear(x, W, b)
        x = F.relu(x) if i < len(params) - 1 else x
    return x


def saved_bytes(fn, params) -> dict:
    """Bytes the forward pass `fn()` saves for backward, parameters excluded, by kind."""
    param_ptrs = {t.untyped_storage().data_ptr() for pair in params for t in pair}
    tally = {"act": 0, "mask": 0}

    def pack(t):
        if t.untyped_storage().data_ptr() not in param_ptrs:
            kind = "mask" if t.dtype in (torch.uint8, torch.bool) else "act"
            tally[kind] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return tally


# ---------------------------------------------------------------------------------------------
# run: memory, estimator statistics, training at a fixed memory budget


def weight_grad(params, x, y, rad: Rad | None, plain: bool = False) -> torch.Tensor:
    """dL/dW of all layers, flattened to float64 (the coordinates RAD randomizes)."""
    logits = forward_plain(params, x) if plain else forward(params, x, rad)
    grads = torch.autograd.grad(F.cross_entropy(logits, y), [W for W, _ in params])
    return torch.cat([g.flatten() for g in grads]).double()


def draw_stats(draw, g: torch.Tensor, n: int) -> dict:
    """T statistic, share of |z| > 3, relative variance and running-mean error of n draws."""
    checks = set(np.unique(np.geomspace(1, n, 16).astype(int)).tolist())
    s1, s2, running = torch.zeros_like(g), torch.zeros_like(g), []
    for i in range(1, n + 1):
        e = draw() - g  # deviation from the exact gradient
        s1 += e
        s2 += e * e
        if i in checks:
            running.append(float(torch.linalg.norm(s1 / i) / torch.linalg.norm(g)))
    bias = s1 / n  # mean(g^) - g
    var = ((s2 - n * bias * bias) / (n - 1)).clamp_min(0)  # per-coordinate sample variance
    live = var > 1e-10 * var.max()  # coordinates RAD actually randomizes (not dead features)
    z = bias[live] / (var[live] / n).sqrt()
    return {
        "T": float((bias @ bias) / (var.sum() / n)),  # ~1 if unbiased, >> 1 if biased
        "frac_z3": float((z.abs() > 3).double().mean()),
        "relvar": float(var.sum() / (g @ g)),
        "running_n": np.array(sorted(checks), dtype=np.int32),
        "running": np.array(running, dtype=np.float32),
    }


def train(params0, data, mode: str, p: float, B: int, lr: float, cfg: Config, ctx, tick):
    """Adam on batches resampled with replacement; full-train loss every eval_every steps."""
    params = [
        (W.detach().clone().requires_grad_(), b.detach().clone().requires_grad_())
        for W, b in params0
    ]
    opt = torch.optim.Adam([t for pair in params for t in pair], lr=lr)
    rad = Rad(mode, p, ctx.generator(offset=300))
    rng = ctx.rng(17)  # the same batch stream for every method (paper: bootstrap sampling)
    x, y = data["x"], data["y"]

    def evaluate():
        with torch.no_grad():
            return float(F.cross_entropy(forward_plain(params, x), y))

    losses = [evaluate()]
    for step in range(1, cfg.n_steps + 1):
        idx = torch.from_numpy(rng.integers(0, len(x), B)).to(x.device)
        loss = F.cross_entropy(forward(params, x[idx], rad), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % cfg.eval_every == 0:
            losses.append(evaluate())
        tick()
    with torch.no_grad():
        acc = float(
            (forward_plain(params, data["x_test"]).argmax(1) == data["y_test"]).double().mean()
        )
    return np.array(losses, dtype=np.float32), acc


def run(config: Config, ctx) -> dict:
    cfg, dev = config, ctx.device
    data = load_data(ctx, dev)
    sizes = [64, *cfg.hidden, 10]
    params0 = init_params(sizes, ctx.generator(offset=1), dev)
    B, n_train = cfg.batch, len(data["x"])
    xb = data["x"][:B]  # (B, 64) for the memory measurement

    n_runs = len(cfg.methods) * len(cfg.lrs)
    total = (
        len(cfg.unbiased_modes) * cfg.n_draws
        + len(cfg.var_modes) * len(cfg.var_keeps) * cfg.n_var_draws
        + 3 * cfg.n_noise_draws
        + n_runs * cfg.n_steps
    )
    done = [0]

    def tick():
        done[0] += 1
        if done[0] % 20 == 0:
            ctx.progress(done[0], total)

    # -- memory: bytes saved for backward by one forward pass at batch B (measured) --
    def mem(mode, p):
        rad = Rad(mode, p, ctx.generator(offset=2))
        return saved_bytes(lambda: forward(params0, xb, rad), params0)

    exact = mem("exact", 1.0)
    memory = {
        "keep": np.array(cfg.keep_grid, dtype=np.float64),
        "mask_bytes": exact["mask"],
        "exact_act_bytes": exact["act"],
        "exact_total": exact["act"] + exact["mask"],
    }
    for mode in cfg.mem_modes:
        memory[mode] = np.array([mem(mode, p)["act"] for p in cfg.keep_grid], dtype=np.int64)
    plain = saved_bytes(lambda: forward_plain(params0, xb), params0)
    memory["plain_bytes"] = plain["act"] + plain["mask"]
    at_keep = mem("diff", cfg.keep)
    memory["keep_total"] = at_keep["act"] + at_keep["mask"]
    memory["total_ratio"] = memory["keep_total"] / memory["exact_total"]
    b_small = int(math.floor(B * memory["total_ratio"]))  # the memory-matched small batch
    ctx.log.info(
        f"saved bytes: exact {memory['exact_total']}, p={cfg.keep}: {memory['keep_total']}"
    )

    # -- estimator on a fixed batch after a short exact warm-up --
    warm = [
        (W.detach().clone().requires_grad_(), b.detach().clone().requires_grad_())
        for W, b in params0
    ]
    opt, rng = torch.optim.Adam([t for pair in warm for t in pair], lr=1e-3), ctx.rng(7)
    for _ in range(cfg.n_warm):
        idx = torch.from_numpy(rng.integers(0, n_train, B)).to(dev)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(forward_plain(warm, data["x"][idx]), data["y"][idx]).backward()
        opt.step()
    fixed = torch.from_numpy(ctx.rng(8).choice(n_train, B, replace=False)).to(dev)
    xf, yf = data["x"][fixed], data["y"][fixed]
    g = weight_grad(warm, xf, yf, None, plain=True)  # exact autograd gradient

    def estimator(mode, p, offset):
        rad = Rad(mode, p, ctx.generator(offset=offset))

        def draw():
            tick()
            return weight_grad(warm, xf, yf, rad)

        return draw

    unbiased = {}
    for i, mode in enumerate(cfg.unbiased_modes):
        unbiased[mode] = draw_stats(estimator(mode, cfg.keep, 100 + i), g, cfg.n_draws)
        ctx.log.info(f"{mode}: T = {unbiased[mode]['T']:.2f}")

    relvar = {"keep": np.array(cfg.var_keeps, dtype=np.float64)}
    for i, mode in enumerate(cfg.var_modes):
        relvar[mode] = np.array(
            [
                draw_stats(estimator(mode, p, 200 + 10 * i + j), g, cfg.n_var_draws)["relvar"]
                for j, p in enumerate(cfg.var_keeps)
            ]
        )

    # -- gradient noise around the full-data gradient at equal memory (what is *not* claimed) --
    g_full = weight_grad(warm, data["x"], data["y"], None, plain=True)
    noise, rng = {}, ctx.rng(9)
    for name, mode, bs in (
        ("baseline", "exact", B),
        ("small_batch", "exact", b_small),
        ("rad_diff", "diff", B),
    ):
        rad, sq = Rad(mode, cfg.keep, ctx.generator(offset=250)), 0.0
        for _ in range(cfg.n_noise_draws):
            idx = torch.from_numpy(rng.integers(0, n_train, bs)).to(dev)
            e = weight_grad(warm, data["x"][idx], data["y"][idx], rad) - g_full
            sq += float(e @ e)
            tick()
        noise[name] = sq / cfg.n_noise_draws / float(g_full @ g_full)

    # -- training at a fixed memory budget (the paper's headline comparison) --
    train_runs = {}
    for method in cfg.methods:
        mode = method.removeprefix("rad_") if method.startswith("rad_") else "exact"
        bs = b_small if method == "small_batch" else B
        best = None
        for lr in cfg.lrs:
            losses, acc = train(params0, data, mode, cfg.keep, bs, lr, cfg, ctx, tick)
            if best is None or losses[-1] < best["loss"][-1]:
                best = {"loss": losses, "lr": lr, "test_acc": acc}
        best["final"] = float(best["loss"][-1])
        best["mean_log10"] = float(np.log10(best["loss"][1:]).mean())
        best["batch"] = bs
        train_runs[method] = best
        ctx.log.info(f"{method}: lr {best['lr']:g}, final loss {best['final']:.2e}")
    ctx.progress(total, total)

    return {
        "mode": ctx.mode,
        "batch": B,
        "keep": cfg.keep,
        "b_small": b_small,
        "memory": memory,
        "unbiased": unbiased,
        "relvar": relvar,
        "noise": noise,
        "iters": np.arange(0, cfg.n_steps + 1, cfg.eval_every, dtype=np.int32),
        "train": train_runs,
    }


# ---------------------------------------------------------------------------------------------
# figure and claims

# fmt: off
COLORS = dict(baseline=PALETTE["gray"], small_batch=PALETTE["red"], norescale=PALETTE["orange"],
              diff=PALETTE["blue"], same=PALETTE["green"], proj=PALETTE["purple"])
LABELS = dict(baseline="exact, B=150", norescale="no rescale (biased)", diff="diff-sample",
              same="same-sample", proj="projection")
# fmt: on
for _k in RAD_MODES:
    COLORS[f"rad_{_k}"], LABELS[f"rad_{_k}"] = COLORS[_k], f"RAD {LABELS[_k]}"


def _mem_deviation(result) -> float:
    """Largest relative deviation of act_bytes(p)/act_bytes(1) from p over all modes and p < 1."""
    m = result["memory"]
    keep = np.asarray(m["keep"])
    devs = [
        np.abs(np.asarray(m[k]) / m["exact_act_bytes"] / keep - 1)[keep < 1].max()
        for k in RAD_MODES
        if k in m
    ]
    return float(max(devs))


def _plain_ticks(ax, xticks) -> None:
    """Log axes with plain-number tick labels (0.1, 0.2, 5) instead of 2x10^-1."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xticks(list(xticks))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())


def panels(result) -> list[Panel]:
    m, tr, B, bs = result["memory"], result["train"], result["batch"], result["b_small"]
    pct = 100 * m["total_ratio"]

    def draw_memory(ax):
        keep = np.asarray(m["keep"])
        act = np.asarray(m["diff"]) / 1e3
        xs = np.arange(len(keep))
        ax.bar(xs, act, color=PALETTE["blue"], label="float layer inputs")
        ax.bar(
            xs, m["mask_bytes"] / 1e3, bottom=act, color=PALETTE["orange"], label="1-bit ReLU masks"
        )
        ax.plot(xs, keep * m["exact_act_bytes"] / 1e3, "k--", lw=1, label="p × exact")
        ax.axhline(m["plain_bytes"] / 1e3, color=PALETTE["gray"], ls=":", lw=1.5)
        ax.text(
            len(keep) - 0.6,
            m["plain_bytes"] / 1e3 * 0.97,
            "plain PyTorch (fp32 ReLU)",
            ha="right",
            va="top",
            fontsize=8,
            color=PALETTE["gray"],
        )
        i = int(np.argmin(np.abs(keep - result["keep"])))
        ax.annotate(
            f"p={result['keep']:g}: {pct:.1f}% memory\n→ exact batch {bs}",
            (i, act[i] + m["mask_bytes"] / 1e3),
            (i - 1.2, 0.55 * m["exact_total"] / 1e3),
            arrowprops={"arrowstyle": "->"},
            fontsize=9,
        )
        ax.set_xticks(xs, [f"{p:g}" for p in keep])
        ax.set_xlabel("keep fraction p")
        ax.set_ylabel(f"KB saved for backward (B={B})")
        ax.legend(fontsize=8, loc="center right")

    def draw_variance(ax):
        rv = result["relvar"]
        keep = np.asarray(rv["keep"])
        for mode, style in zip(RAD_MODES, ("o-", "s--", "^:"), strict=True):
            if mode in rv:
                ax.plot(keep, rv[mode], style, color=COLORS[mode], label=LABELS[mode], ms=6)
        ref = np.asarray(rv["diff"])[0] * keep[0] / keep
        ax.plot(keep, ref, color=PALETTE["ink"], lw=0.8, alpha=0.6, label="∝ 1/p")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_ticks(ax, keep)
        ax.set_xlabel("keep fraction p")
        ax.set_ylabel("relative gradient variance")
        ax.legend(fontsize=8, loc="lower left")
        ins = ax.inset_axes([0.6, 0.58, 0.37, 0.37])
        for mode in ("diff", "norescale"):
            u = result["unbiased"][mode]
            ins.loglog(u["running_n"], u["running"], color=COLORS[mode], lw=1.5)
        n = np.asarray(result["unbiased"]["diff"]["running_n"], dtype=float)
        ins.loglog(n, result["unbiased"]["diff"]["running"][0] / np.sqrt(n), "k--", lw=0.8)
        ins.set_xlabel("draws N", fontsize=7, labelpad=1)
        ins.set_title("‖mean − exact‖ / ‖exact‖", fontsize=7)
        _plain_ticks(ins, [1, 10, 100])
        ins.tick_params(labelsize=6)

    def draw_training(ax):
        it = np.asarray(result["iters"])
        for method in METHODS:
            if method not in tr:
                continue
            r = tr[method]
            mem_pct = 100 if method == "baseline" else pct
            label = f"exact, B={bs}" if method == "small_batch" else LABELS[method]
            ax.plot(
                it,
                r["loss"],
                color=COLORS[method],
                lw=2 if method == "rad_diff" else 1.5,
                ls="--" if method == "baseline" else "-",
                label=f"{label} ({mem_pct:.0f}% mem)",
            )
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel("full training-set loss")
        ax.legend(fontsize=8, loc="lower left")

    def draw_noise(ax):
        nz = result["noise"]
        names = ["baseline", "small_batch", "rad_diff"]
        labels = [f"exact\nB={B}", f"exact\nB={bs}", f"RAD p={result['keep']:g}\nB={B}"]
        vals = [nz[k] for k in names]
        ax.bar(range(3), vals, color=[COLORS[k] for k in names])
        for i, v in enumerate(vals):
            ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=9)
        ax.set_xticks(range(3), labels)
        ax.set_ylabel("E‖ĝ − g_full‖² / ‖g_full‖²")
        ax.set_title(f"memory: 100% / {pct:.0f}% / {pct:.0f}%", fontsize=9)

    return [
        Panel(
            "Memory saved",
            draw_memory,
            "Bytes saved for backward, measured with saved_tensors_hooks, vs keep fraction.",
        ),
        Panel(
            "Unbiased, but noisier",
            draw_variance,
            "Relative variance of the RAD weight gradient grows like 1/p; inset: the running "
            "mean of RAD draws converges to the exact gradient like 1/√N, the no-rescale "
            "control does not.",
        ),
        Panel(
            "Same memory, faster training",
            draw_training,
            f"Full training-set loss; RAD (B={B}, p={result['keep']:g}) vs an exact small "
            f"batch B={bs} using the same measured memory.",
        ),
        Panel(
            "Gradient noise at equal memory",
            draw_noise,
            "Not claimed: RAD's gradient is not less noisy than the memory-matched small "
            "batch's (in the full run it is noisier); it converges faster anyway.",
        ),
    ]


def claims(result) -> list[Claim]:
    m, tr, ub, rv = result["memory"], result["train"], result["unbiased"], result["relvar"]
    p, bs, sb = result["keep"], result["b_small"], result["train"]["small_batch"]
    out = []

    # Sec. 4 / Fig. 4 caption: memory is the reduced layer inputs plus 1-bit ReLU masks
    dev, ratio = _mem_deviation(result), m["total_ratio"]
    out.append(
        Claim(
            f"saved activation bytes ∝ keep fraction p: max deviation {100 * dev:.1f}% ≤ 10%; "
            f"p={p:g} needs {100 * ratio:.1f}% of the memory (< 15%) → matched batch {bs}",
            dev <= 0.10 and ratio < 0.15,
            {"max_rel_deviation": dev, "total_ratio": ratio, "b_small": bs},
        )
    )

    # unbiasedness: T = ||mean - g||^2 / (sum var / N) is ~1 without bias, >> 1 with it
    modes = [k for k in RAD_MODES if k in ub]
    z3 = max(ub[k]["frac_z3"] for k in modes)
    out.append(
        Claim(
            "the RAD gradient is unbiased: T = "
            + ", ".join(f"{ub[k]['T']:.2f} ({k})" for k in modes)
            + f" ∈ (0.5, 2); |z| > 3 for {100 * z3:.2f}% < 2% of weights",
            all(0.5 < ub[k]["T"] < 2.0 for k in modes) and z3 < 0.02,
            {**{f"T_{k}": ub[k]["T"] for k in modes}, "max_frac_z3": z3},
        )
    )
    t_ctl = ub["norescale"]["T"]
    out.append(
        Claim(
            f"dropping the d/k rescaling biases it: T = {t_ctl:.0f} > 50",
            t_ctl > 50,
            {"T_norescale": t_ctl},
        )
    )

    keep = np.asarray(rv["keep"])
    i5, i1 = int(np.argmin(np.abs(keep - 0.5))), int(np.argmin(np.abs(keep - 0.1)))
    ratios = {k: float(rv[k][i1] / rv[k][i5]) for k in RAD_MODES if k in rv}
    mono = all(bool(np.all(np.diff(rv[k]) > 0)) for k in ratios)  # keep is decreasing
    out.append(
        Claim(
            "variance grows as p falls: relvar(0.1)/relvar(0.5) = "
            + ", ".join(f"{r:.1f} ({k})" for k, r in ratios.items())
            + " ≥ 3",
            mono and min(ratios.values()) >= 3.0,
            {**{f"ratio_{k}": r for k, r in ratios.items()}, "monotone": mono},
        )
    )

    # the headline (abstract): at a fixed memory budget RAD beats the small batch
    if result["mode"] == "quick":
        rd = tr["rad_diff"]["final"]
        out.append(
            Claim(
                f"at equal memory RAD trains faster: final loss {rd:.3g} vs {sb['final']:.3g} with "
                f"batch {bs}, ratio {rd / sb['final']:.2f} ≤ 0.6",
                rd / sb["final"] <= 0.6,
                {"final_rad_diff": rd, "final_small_batch": sb["final"], "ratio": rd / sb["final"]},
            )
        )
        return out
    gaps = {k: sb["mean_log10"] - tr[k]["mean_log10"] for k in tr if k.startswith("rad_")}
    out.append(
        Claim(
            f"at equal memory every RAD variant trains faster than batch {bs}: mean log10 loss "
            "lower by " + ", ".join(f"{g:.2f}" for g in gaps.values()) + " ≥ 0.5 decades",
            min(gaps.values()) >= 0.5,
            {**{f"gap_{k}": g for k, g in gaps.items()}, "final_small_batch": sb["final"]},
        )
    )
    bl, rd = tr["baseline"]["mean_log10"], tr["rad_diff"]["mean_log10"]
    out.append(
        Claim(
            f"full memory still trains fastest: mean log10 loss {bl:.2f} (exact, B=150) ≤ "
            f"{rd:.2f} (RAD diff)",
            bl <= rd,
            {"mean_log10_baseline": bl, "mean_log10_rad_diff": rd},
        )
    )
    return out
