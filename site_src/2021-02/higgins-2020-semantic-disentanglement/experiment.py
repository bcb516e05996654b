"""β-VAE units vs single face-patch neurons: does a disentangled code line up with single cells?

Higgins, Chang, Langston, Hassabis, Summerfield, Tsao, Botvinick. "Unsupervised deep learning
identifies semantic disentanglement in single inferotemporal face patch neurons."
Nat. Commun. 12:6456 (2021); arXiv 2006.14304. https://arxiv.org/abs/2006.14304

Reproduces the *analysis* of Fig. 3b-d (alignment with single neurons rises with β and tracks
UDR) and Fig. 7 (decoding novel faces from a handful of matched single neurons).

The headline is *axis alignment*, not the plain alignment score. The plain score (DCI
completeness with neurons as factors) rises whenever a code has fewer active units, even for a
fully entangled code, and β-VAEs at high β keep fewer units. Axis alignment measures how much
of the way from an entangled code of the *same* active units (the units turned by random
rotations, which keeps their span and every linear R²) to a perfect score the model's own axes
go: (A − A_rot) / (1 − A_rot). An entangled code scores about 0 and an axis-aligned one 1,
whatever the number of active units. The plain score is shown beside it.

Deviations from the paper (each one is a row of `DEVIATIONS`, shown on the page):

* No macaque data: 30 synthetic neurons, each driven by exactly one known factor, replace the
  159 AM neurons, and procedural 16×16 faces with 5 factors replace the face photos. This is the
  ideal case of the paper's hypothesis: the experiment checks that the analysis recovers
  "disentangled model ↔ single neurons" when it is true. It is not evidence about real IT cortex.
* Small MLP β-VAE (256-64-64-2·8 / 8-64-64-256) with a Gaussian likelihood (σ = 0.1) instead of
  the paper's convolutional Bernoulli β-VAE; our β values are not comparable with the paper's.
* 8 β values × 5 seeds (40 models) instead of 40 β × 10 seeds (400 models) for Fig. 3d.
* Axis alignment as the headline, the paper's plain alignment score beside it.
* Alignment: lasso α = 0.05 and entropy base = latent size are our choices (not published).
* MIG and UDR follow disentanglement_lib, on 1000 "recording" stimuli instead of 10 000.
* Ceiling = the ground-truth factors used as a model (1.00 by construction); the paper used
  held-out neurons.
* Decoding: the number of neurons used is the number of active units (full mode: 3-6 at β = 16,
  6-7 at β = 1; quick: a mean of 2.0-3.6 per seed at β = 16, 8 at β = 1; the paper: 12 of 159
  for β-VAE, 27-30 for VAE/AE); claims use every model per β, the panel shows the best-UDR
  model (as the paper did).
* Quick mode: β ∈ {1, 16} × 5 seeds, 800 steps (5, not 3: with 3 models per β the median of
  three β = 1 models reached the β16 threshold on one seed of the β-held control).
"""

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from mlcollage.experiment import PALETTE, Claim, Control, Deviation, Panel

CAVEAT = (
    "No monkey data: procedural 16×16 faces with 5 known factors and 30 synthetic neurons, each "
    "tuned to one factor, test the paper's analysis on a known answer, not real IT cortex."
)
FACTORS = ("x", "y", "size", "aspect", "background")

DEVIATIONS = [
    Deviation(
        "neurons",
        "159 neurons in face patch AM of two macaques",
        "30 synthetic neurons, 6 per factor, each a noisy monotone ramp of exactly one factor",
        "no recordings can be shipped; a known answer lets the analysis be checked",
    ),
    Deviation(
        "stimuli",
        "face photographs (62 novel faces for Fig. 7)",
        "procedural 16×16 cartoon faces, 5 independent factors (x, y, size, aspect, background); "
        "6000 training, 1000 recording, 62 novel",
        "no downloads; known generative factors",
    ),
    Deviation(
        "model",
        "convolutional β-VAE",
        "MLP β-VAE 256-64-64-2·8 / 8-64-64-256, 8 latent units, Adam 2e-3, batch 64",
        "trains in seconds on one CPU core",
    ),
    Deviation(
        "likelihood",
        "Bernoulli",
        "Gaussian, σ = 0.1",
        "at this scale β ∈ [1, 16] spans entangled → disentangled without collapse; our β "
        "values are not comparable with the paper's",
    ),
    Deviation(
        "number of models",
        "400 models over 40 β values (Fig. 3d), 51 in the boxplots",
        "8 β values (1-16) × 5 seeds = 40 models, 3000 steps; quick: β ∈ {1, 16} × 5, 800 steps",
        "CPU budget (≤ 180 s per seed)",
    ),
    Deviation(
        "headline measure",
        "alignment score (lasso weights' entropy per neuron)",
        "axis alignment (A − A_rot)/(1 − A_rot) against the same units randomly rotated; the "
        "plain score is shown beside it",
        "the plain score rises with fewer active units even for an entangled code: with neurons "
        "that each mix all five factors it still rises with β (quick with 3 models per β, 20 of "
        "20 seeds 100-119), axis alignment does not (0 of 20)",
    ),
    Deviation(
        "alignment details",
        "lasso α and entropy normalisation not published",
        "lasso α = 0.05 on standardized units and neurons, entropy base = latent size (8)",
        "our choices",
    ),
    Deviation(
        "ceiling",
        "alignment of held-out neurons with other neurons (β-VAE ≈ ceiling, p = 0.43)",
        "the ground-truth factors used as the model: 1.00 by construction",
        "the synthetic neurons have known factors",
    ),
    Deviation(
        "UDR and MIG",
        "disentanglement_lib on the model's dataset (10 000 points for MIG)",
        "disentanglement_lib's definitions on our 1000 recording stimuli",
        "CPU budget",
    ),
    Deviation(
        "decoding (Fig. 7)",
        "best-UDR model, 12 matched neurons (AE 30, VAE 27)",
        "as many neurons as active units (full mode: 3-6 at β = 16, 6-7 at β = 1); the claim "
        "averages every model of a β, the panel shows the best-UDR one",
        "our models have 8 latent units, not a dozen or more",
    ),
]

# ---------------------------------------------------------------------------------------------
# config


@dataclass(frozen=True)
class Config:
    """The experiment's setup: full mode by default, ``Config.quick()`` for tests."""

    betas: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 11.0, 16.0)
    """β values of the sweep (Fig. 3b, d); our β scale is set by σ, not the paper's."""
    n_seeds: int = 5
    """Models per β (model seeds); UDR compares models of the same β."""
    n_steps: int = 3000
    """Adam steps for every model of the ensemble."""
    batch_size: int = 64
    """Images per step and model."""
    lr: float = 2e-3
    """Adam learning rate (0: the untrained control)."""
    hold_beta: float = 0.0
    """0: each model trains at its own β; > 0: every model trains at this β and keeps its β
    label (the β-held control)."""
    neuron_tuning: str = "single"
    """Synthetic neurons: "single" reads one factor each; "mixed" reads a random mix of all
    five (the control that removes the one-neuron-one-factor link)."""
    z_dim: int = 8
    """Latent units per model."""
    hidden: int = 64
    """Width of the two hidden layers of encoder and decoder."""
    sigma: float = 0.1
    """Std of the Gaussian likelihood p(x|z); sets the scale of β."""
    n_train: int = 6000
    """Training faces."""
    n_record: int = 1000
    """Recording stimuli: neurons and units are measured on them."""
    n_novel: int = 62
    """Novel faces for the decoding analysis (62 in Fig. 7a)."""
    neurons_per_factor: int = 6
    """Synthetic neurons per factor (30 in all)."""
    neuron_noise: float = 0.1
    """Std of the neurons' response noise."""
    lasso_alpha: float = 0.05
    """Lasso penalty of the alignment score (Fig. 3a; not published, our choice)."""
    udr_alpha: float = 0.1
    """Lasso penalty of UDR (disentanglement_lib default)."""
    kl_active: float = 0.01
    """A unit is active when its mean KL exceeds this (UDR's filter)."""
    mig_bins: int = 20
    """Histogram bins of MIG (disentanglement_lib default)."""
    n_rotations: int = 8
    """Random rotations of the active units per model: their mean alignment is A_rot."""

    @classmethod
    def quick(cls) -> "Config":
        return cls(betas=(1.0, 16.0), n_seeds=5, n_steps=800)


# ---------------------------------------------------------------------------------------------
# data: procedural faces and synthetic neurons


def render_faces(f: np.ndarray, size: int = 16) -> np.ndarray:
    """Factors f (n, 5) in [0, 1] -> grayscale faces (n, size*size) in [0, 1]."""
    grid = (np.arange(size) + 0.5) / size
    px, py = grid[None, None, :], grid[None, :, None]  # (1, 1, W), (1, H, 1); y points down
    col = [f[:, i, None, None] for i in range(5)]  # each (n, 1, 1)
    cx, cy = 0.30 + 0.40 * col[0], 0.38 + 0.24 * col[1]  # y range narrower: breaks x/y symmetry
    r, asp = 0.17 + 0.11 * col[2], 0.45 * np.exp(1.6 * col[3])
    rx, ry = r * np.sqrt(asp), r / np.sqrt(asp)
    bg = 0.05 + 0.35 * col[4]

    def blob(x0, y0, ax, ay):  # soft ellipse, 1 inside, 0 outside
        d = np.sqrt(((px - x0) / ax) ** 2 + ((py - y0) / ay) ** 2)
        return 0.5 * (1 + np.tanh(6 * (1 - d)))

    face = blob(cx, cy, rx, ry)
    eyes = sum(blob(cx + s * 0.4 * rx, cy - 0.25 * ry, 0.22 * r, 0.22 * r) for s in (-1, 1))
    mouth = blob(cx, cy + 0.45 * ry, 0.45 * rx, 0.1 * ry)
    img = bg * (1 - face) + face * 0.95 * np.clip(1 - eyes - mouth, 0, 1)
    return img.reshape(len(f), -1)


def make_neurons(n_per_factor: int, rng: np.random.Generator, tuning: str = "single") -> dict:
    """Tuning of synthetic neurons: each reads a direction `weights` in factor space through a
    monotone ramp. "single": one factor, sign ±1; "mixed": a random unit direction."""
    n = 5 * n_per_factor
    src = np.repeat(np.arange(5), n_per_factor)  # the one factor neuron i reads ("single")
    flip = rng.random(n) < 0.5  # u = 1 - f for half the neurons
    tuning_curve = {
        "base": rng.uniform(0.2, 1.0, n),
        "gain": rng.uniform(0.5, 1.5, n),
        "curve": rng.uniform(0.0, 1.0, n),
    }
    weights = np.eye(5)[src] * np.where(flip, -1.0, 1.0)[:, None]  # (n, 5)
    if tuning == "mixed":
        weights = rng.standard_normal((n, 5))
        weights /= np.linalg.norm(weights, axis=1, keepdims=True)
        src = np.abs(weights).argmax(1)
    elif tuning != "single":
        raise ValueError(f"neuron_tuning {tuning!r}; expected 'single' or 'mixed'")
    return {"src": src, "weights": weights, **tuning_curve}


def respond(neurons: dict, f: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Responses (n, n_neurons): r = base + gain((1-c)u + c u²) + N(0, noise²), u in [0, 1] the
    neuron's direction in factor space, rescaled over the unit cube."""
    w = neurons["weights"]
    lo, hi = np.minimum(w, 0).sum(1), np.maximum(w, 0).sum(1)
    u = (f @ w.T - lo) / (hi - lo)
    c = neurons["curve"]
    r = neurons["base"] + neurons["gain"] * ((1 - c) * u + c * u**2)
    return r + noise * rng.standard_normal(r.shape)


# ---------------------------------------------------------------------------------------------
# model: an ensemble of M MLP β-VAEs with stacked weights (M, in, out)


def init_ensemble(sizes, generators, device) -> list:
    """nn.Linear-style U(±1/√in) init, each model from its own generator; [W, b] per layer."""
    params = []
    for n_in, n_out in sizes:
        bound = 1 / math.sqrt(n_in)
        W = torch.stack([torch.rand(n_in, n_out, generator=g) for g in generators])
        b = torch.stack([torch.rand(1, n_out, generator=g) for g in generators])
        for p in (W, b):
            params.append((bound * (2 * p - 1)).to(device).requires_grad_())
    return params


def mlp(params: list, h, final=None):
    """h (M, B, in) -> (M, B, out): ReLU between layers, `final` on the last one."""
    n = len(params) // 2
    for i in range(n):
        h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
        h = torch.relu(h) if i < n - 1 else (final(h) if final else h)
    return h


def kl_normal(mu, logvar):
    """KL(N(mu, e^logvar) || N(0, 1)) per unit, elementwise (Kingma & Welling, App. B)."""
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar)


# ---------------------------------------------------------------------------------------------
# analyses (numpy): alignment, UDR, MIG, decoding from single neurons


def standardize(a: np.ndarray) -> np.ndarray:
    sd = a.std(0)
    return np.where(sd > 0, (a - a.mean(0)) / np.where(sd > 0, sd, 1), 0.0)


def lasso_weights(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """|coef| (n_targets, n_inputs) of a multi-output lasso from x (n, d) to y (n, t)."""
    from sklearn.linear_model import Lasso

    # a tight tol and a high iteration cap: the fit converges (no ConvergenceWarning)
    return np.abs(
        Lasso(alpha=alpha, max_iter=50_000, tol=1e-6).fit(x, y).coef_.reshape(-1, x.shape[1])
    )


def alignment(code: np.ndarray, neurons: np.ndarray, alpha: float) -> float:
    """Fig. 3a: 1 - normalised entropy of each neuron's lasso weights, weighted by their sum."""
    W = lasso_weights(standardize(code), standardize(neurons), alpha)  # (n_neurons, z)
    w = W.sum(1)  # total weight per neuron
    p = W / np.maximum(w, 1e-12)[:, None]
    H = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), 1) / math.log(W.shape[1])
    return float(np.sum((1 - H) * w) / w.sum()) if w.sum() > 0 else 0.0


def linear_r2(code: np.ndarray, neurons: np.ndarray) -> float:
    """Mean R² of least-squares predictions of every neuron from the code."""
    X = np.c_[code[:, code.std(0) > 0], np.ones(len(code))]  # drop dead units: X'X invertible
    coef = np.linalg.solve(X.T @ X, X.T @ neurons)  # normal equations (lstsq is slow on 2 cores)
    res = neurons - X @ coef
    return float(np.mean(1 - res.var(0) / neurons.var(0)))


def relative_strength(R: np.ndarray) -> float:
    """UDR pair score: ½[mean over columns of max²/sum + mean over rows of max²/sum]."""
    if R.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        cols = np.nan_to_num(R.max(0) ** 2 / R.sum(0))
        rows = np.nan_to_num(R.max(1) ** 2 / R.sum(1))
    return float((cols.mean() + rows.mean()) / 2)


def udr_scores(mus: list, active: list, groups: np.ndarray, alpha: float) -> np.ndarray:
    """UDR (Duan et al. 2020): median pair score over same-group partners, both orders."""
    reps = [standardize(m) * a for m, a in zip(mus, active, strict=True)]
    scores = np.zeros(len(mus))
    for i in range(len(mus)):
        pair = []
        for j in np.flatnonzero((groups == groups[i]) & (np.arange(len(mus)) != i)):
            for a, b in ((i, j), (j, i)):
                R = lasso_weights(reps[a], reps[b], alpha).T  # (z_a, z_b)
                pair.append(relative_strength(R[active[a]][:, active[b]]))
        scores[i] = np.median(pair) if pair else 0.0
    return scores


def discretize(a: np.ndarray, bins: int) -> np.ndarray:
    """Per column: the index of its equal-width histogram bin (disentanglement_lib)."""
    return np.stack([np.digitize(c, np.histogram(c, bins)[1][:-1]) for c in a.T], 1)


def mutual_info(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in mutual information (nats) of two integer label vectors."""
    joint = np.bincount(a * (b.max() + 1) + b).astype(np.float64)
    p = joint[joint > 0] / len(a)
    pa = np.bincount(a)[np.flatnonzero(joint > 0) // (b.max() + 1)] / len(a)
    pb = np.bincount(b)[np.flatnonzero(joint > 0) % (b.max() + 1)] / len(a)
    return float(np.sum(p * np.log(p / (pa * pb))))


def mig(code: np.ndarray, factors: np.ndarray, bins: int) -> float:
    """Mutual information gap: mean over factors of (top-1 - top-2 MI) / H(factor)."""
    c, f = discretize(code, bins), discretize(factors, bins)
    m = np.array([[mutual_info(fj, ci) for fj in f.T] for ci in c.T])  # (z, n_factors)
    H = np.array([mutual_info(fj, fj) for fj in f.T])
    top = np.sort(m, 0)[::-1]
    return float(np.mean((top[0] - top[1]) / H))


def match_and_regress(z_rec, r_rec, r_new, active):
    """Fig. 7a: one neuron per active unit (Hungarian on |corr|), a line from it to the unit.

    Returns the decoded latents for the new stimuli (n_new, z) (inactive units = prior mean 0).
    """
    from scipy.optimize import linear_sum_assignment

    k = np.flatnonzero(active)
    zs, rs = standardize(z_rec[:, k]), standardize(r_rec)
    corr = np.abs(zs.T @ rs) / len(zs)  # (k, n_neurons)
    rows, cols = linear_sum_assignment(-corr)
    z_new = np.zeros((len(r_new), z_rec.shape[1]))
    for unit, neuron in zip(k[rows], cols, strict=True):
        x, y = r_rec[:, neuron], z_rec[:, unit]
        slope = np.cov(x, y, bias=True)[0, 1] / x.var()
        z_new[:, unit] = y.mean() + slope * (r_new[:, neuron] - x.mean())
    return z_new


def cosine_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1 - np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def random_rotation(k: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))  # Haar-distributed orthogonal matrix


def axis_alignment(code: np.ndarray, neurons: np.ndarray, alpha: float, n_rot: int, rng) -> dict:
    """Alignment A of a code, A_rot of its active units randomly rotated (mean of ``n_rot``
    Haar rotations: same span, same linear R²), and axis alignment (A − A_rot) / (1 − A_rot).

    An entangled code scores about 0 and an axis-aligned one 1, whatever the number k of active
    units. With k ≤ 1 no rotation changes the code, so there is no axis to test: 0.
    """
    k = np.flatnonzero(code.std(0) > 0)
    plain = alignment(code, neurons, alpha)
    if len(k) < 2:
        return {"align": plain, "align_rot": plain, "axis": 0.0, "r2_change": 0.0}
    rot_scores, r2_change, r2 = [], 0.0, linear_r2(code, neurons)
    for _ in range(n_rot):
        rot = code.copy()
        rot[:, k] = code[:, k] @ random_rotation(len(k), rng)
        rot_scores.append(alignment(rot, neurons, alpha))
        r2_change = max(r2_change, abs(linear_r2(rot, neurons) - r2))  # 0 up to rounding
    a_rot = float(np.mean(rot_scores))
    axis = (plain - a_rot) / (1 - a_rot) if a_rot < 1 - 1e-9 else 0.0
    return {"align": plain, "align_rot": a_rot, "axis": axis, "r2_change": r2_change}


# ---------------------------------------------------------------------------------------------
# run: data → train the ensemble → Fig. 3 (alignment, UDR, MIG) → Fig. 7 (decoding) → traversals


def run(config: Config, ctx) -> dict:
    data = make_data(config, ctx)
    beta = np.repeat(np.asarray(config.betas, dtype=np.float64), config.n_seeds)  # (M,)
    model = train_ensemble(data["x_train"], beta, config, ctx)
    codes = encode_stimuli(model, data, config, ctx.device)
    fig3 = fig3_alignment(codes, data, beta, config, ctx)
    fig7, images = fig7_decoding(model, codes, data, config, ctx.device)
    show = best_udr_models(beta, fig3["udr"])  # the models the panels show
    return {
        "mode": ctx.mode,
        "beta": beta,
        **fig3,
        **fig7,
        "n_active": codes["active"].sum(1),
        "recon_mse": codes["recon_mse"],
        "trivial_mse": float(((data["x_rec"] - data["x_train"].mean(0)) ** 2).mean()),
        "ceiling": ceiling(data, config),
        "show_models": show,
        "traversals": traversals(model, codes["kl_unit"], codes["active"], show, ctx.device),
        "faces": fig7_faces(images, data["x_new"], show),
    }


def make_data(config: Config, ctx) -> dict:
    """Faces for training, recording and decoding; neurons' responses to the last two."""
    rng = ctx.rng(0)  # every draw on the CPU from ctx: identical for CPU and CUDA runs
    n = (config.n_train, config.n_record, config.n_novel)
    f_train, f_rec, f_new = (rng.random((k, 5)) for k in n)
    neurons = make_neurons(config.neurons_per_factor, ctx.rng(1), config.neuron_tuning)
    noise_rng = ctx.rng(2)  # response noise from its own stream
    return {
        "f_rec": f_rec,
        "x_train": render_faces(f_train),
        "x_rec": render_faces(f_rec),
        "x_new": render_faces(f_new),
        "r_rec": respond(neurons, f_rec, config.neuron_noise, noise_rng),  # (n_record, 30)
        "r_new": respond(neurons, f_new, config.neuron_noise, noise_rng),  # (n_novel, 30)
        "mix": random_rotation(5 * config.neurons_per_factor, ctx.rng(4)),  # Fig. 3c control
    }


def train_ensemble(x_train: np.ndarray, beta: np.ndarray, config: Config, ctx) -> dict:
    """M β-VAEs trained as one batched ensemble; model m has β = beta[m] (or ``hold_beta``)."""
    M, Z, Hd, dev = len(beta), config.z_dim, config.hidden, ctx.device
    gens = [ctx.generator(100 + m) for m in range(M)]
    enc = init_ensemble([(256, Hd), (Hd, Hd), (Hd, 2 * Z)], gens, dev)  # (M, in, out) each
    dec = init_ensemble([(Z, Hd), (Hd, Hd), (Hd, 256)], gens, dev)
    opt = torch.optim.Adam(enc + dec, lr=config.lr, fused=True)  # fused: 2× faster on CPU
    X = torch.tensor(x_train, dtype=torch.float32, device=dev)
    trained_beta = np.full_like(beta, config.hold_beta) if config.hold_beta > 0 else beta
    b = torch.tensor(trained_beta, dtype=torch.float32, device=dev)
    g = ctx.generator(1000, device=dev)
    every = max(1, config.n_steps // 100)
    for step in range(config.n_steps):
        x = X[torch.randint(len(X), (M, config.batch_size), generator=g, device=dev)]
        mu, logvar = mlp(enc, x).chunk(2, dim=-1)  # (M, B, Z) each
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g, device=dev)
        x_hat = mlp(dec, z, torch.sigmoid)
        rec = ((x - x_hat) ** 2).sum(-1) / (2 * config.sigma**2)  # -log N(x; x̂, σ²) + const
        kl = kl_normal(mu, logvar).sum(-1)
        # β-VAE objective (Higgins et al. 2017) per model; summed = M independent Adams
        loss = (rec.mean(1) + b * kl.mean(1)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % every == 0:
            ctx.progress(step, config.n_steps)
    ctx.progress(config.n_steps, config.n_steps)
    return {"enc": [p.detach() for p in enc], "dec": [p.detach() for p in dec]}


def _stack(a: np.ndarray, M: int, dev) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float32, device=dev).expand(M, -1, -1)


@torch.no_grad()
def encode_stimuli(model: dict, data: dict, config: Config, dev) -> dict:
    """Latent means of every model for the recording and novel stimuli; active units."""
    M = len(model["enc"][0])
    mu, logvar = mlp(model["enc"], _stack(data["x_rec"], M, dev)).chunk(2, dim=-1)
    kl_unit = kl_normal(mu, logvar).mean(1).double().cpu().numpy()  # (M, Z)
    recon = mlp(model["dec"], mu, torch.sigmoid)
    z_new = mlp(model["enc"], _stack(data["x_new"], M, dev)).chunk(2, dim=-1)[0]
    return {
        "z_rec": mu.double().cpu().numpy(),  # (M, n_record, Z)
        "z_new": z_new.double().cpu().numpy(),  # (M, n_novel, Z)
        "kl_unit": kl_unit,
        "active": kl_unit > config.kl_active,  # (M, Z)
        "recon_mse": ((recon - _stack(data["x_rec"], M, dev)) ** 2)
        .mean((1, 2))
        .double()
        .cpu()
        .numpy(),
    }


def fig3_alignment(codes: dict, data: dict, beta: np.ndarray, config: Config, ctx) -> dict:
    """Fig. 3b-d per model: plain and axis alignment, neuron-mixed alignment, UDR and MIG."""
    z_rec, active, r_rec = codes["z_rec"], codes["active"], data["r_rec"]
    r_mix = standardize(r_rec) @ data["mix"]  # the paper's control: recombined neurons
    rng, keys = ctx.rng(3), ("align", "align_rot", "axis", "r2_change", "align_mix", "mig")
    out = {k: np.zeros(len(beta)) for k in keys}
    for m in range(len(beta)):
        code = standardize(z_rec[m]) * active[m]  # inactive units set to 0
        a = axis_alignment(code, r_rec, config.lasso_alpha, config.n_rotations, rng)
        for k, v in a.items():
            out[k][m] = v
        out["align_mix"][m] = alignment(code, r_mix, config.lasso_alpha)
        out["mig"][m] = mig(z_rec[m], data["f_rec"], config.mig_bins)
    out["udr"] = udr_scores(list(z_rec), list(active), beta, config.udr_alpha)
    return out


@torch.no_grad()
def fig7_decoding(model: dict, codes: dict, data: dict, config: Config, dev) -> tuple:
    """Fig. 7: decode novel faces from single matched neurons, per model. Returns the numbers
    and the images (decoded, and each model's own reconstruction)."""
    z_rec, z_new, active = codes["z_rec"], codes["z_new"], codes["active"]
    M = len(z_rec)
    z_dec = np.stack(
        [match_and_regress(z_rec[m], data["r_rec"], data["r_new"], active[m]) for m in range(M)]
    )
    cos = np.zeros(M)
    for m in range(M):
        k = active[m]
        mean, sd = z_rec[m][:, k].mean(0), z_rec[m][:, k].std(0)
        true, dec = (z_new[m][:, k] - mean) / sd, (z_dec[m][:, k] - mean) / sd
        cos[m] = np.median(cosine_distance(true, dec)) if k.any() else 1.0
    img_dec = mlp(model["dec"], torch.tensor(z_dec, dtype=torch.float32, device=dev), torch.sigmoid)
    img_self = mlp(
        model["dec"], torch.tensor(z_new, dtype=torch.float32, device=dev), torch.sigmoid
    )
    x_new = torch.tensor(data["x_new"], dtype=torch.float32, device=dev)
    numbers = {
        "cos_dist": cos,
        "mse_truth": ((img_dec - x_new) ** 2).mean((1, 2)).double().cpu().numpy(),
        "mse_self": ((img_dec - img_self) ** 2).mean((1, 2)).double().cpu().numpy(),
    }
    return numbers, {"decoded": img_dec.cpu().numpy(), "own": img_self.cpu().numpy()}


def fig7_faces(images: dict, x_new: np.ndarray, show: list, n: int = 6) -> np.ndarray:
    """(5, n, 256): truth; best β_max model's own reconstruction and its decoding from single
    neurons; the same two for the best β_min model."""
    hi, lo = show
    rows = [x_new[:n]]
    for m in (hi, lo):
        rows += [images["own"][m, :n], images["decoded"][m, :n]]
    return np.stack(rows).astype(np.float32)


def best_udr_models(beta: np.ndarray, udr: np.ndarray) -> list:
    """The best-UDR model of β_max and of β_min (as the paper picked its model for Fig. 7)."""
    return [
        int(np.flatnonzero(beta == b)[np.argmax(udr[beta == b])]) for b in (beta.max(), beta.min())
    ]


@torch.no_grad()
def traversals(model: dict, kl_unit, active, show: list, dev, n_rows: int = 5) -> np.ndarray:
    """(2, n_rows, 7, 256): sweep each of the top-KL active units over −2.5…+2.5, others 0."""
    Z = kl_unit.shape[1]
    vals = torch.linspace(-2.5, 2.5, 7)
    out = np.zeros((2, n_rows, 7, 256), dtype=np.float32)
    for i, m in enumerate(show):
        dec = [p[m : m + 1] for p in model["dec"]]
        for row, unit in enumerate(np.argsort(-kl_unit[m])[: min(n_rows, active[m].sum())]):
            zt = torch.zeros(1, 7, Z)
            zt[0, :, unit] = vals
            out[i, row] = mlp(dec, zt.to(dev), torch.sigmoid)[0].cpu().numpy()
    return out


def ceiling(data: dict, config: Config) -> dict:
    """The ground-truth factors as the model: the ceiling, and its neuron-mixed control."""
    r_mix = standardize(data["r_rec"]) @ data["mix"]
    return {
        "align": alignment(data["f_rec"], data["r_rec"], config.lasso_alpha),
        "align_mix": alignment(data["f_rec"], r_mix, config.lasso_alpha),
    }


# ---------------------------------------------------------------------------------------------
# figure: one module-level function per panel


def _by_beta(result: dict, key: str) -> np.ndarray:
    """Per-β median of result[key], β ascending (the claims use the median model too)."""
    beta, v = np.asarray(result["beta"]), np.asarray(result[key], dtype=np.float64)
    return np.array([np.median(v[beta == b]) for b in np.unique(beta)])


def _mosaic(imgs: np.ndarray, gap: int = 1) -> np.ndarray:
    """(rows, cols, 256) -> one image with gaps, NaN (drawn white) in the gaps."""
    rows, cols = imgs.shape[:2]
    out = np.full((rows * (16 + gap) - gap, cols * (16 + gap) - gap), np.nan)
    for i in range(rows):
        for j in range(cols):
            out[i * 17 : i * 17 + 16, j * 17 : j * 17 + 16] = imgs[i, j].reshape(16, 16)
    return out


def _image_axes(ax) -> None:
    """An image mosaic: no gridlines, ticks or spines (labels go inside, as text)."""
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[:].set_visible(False)


def _pad(img: np.ndarray, top: int = 0, left: int = 0, bottom: int = 0) -> np.ndarray:
    """Blank (NaN) margins around a mosaic, room for labels inside the panel."""
    return np.pad(img, ((top, bottom), (left, 0)), constant_values=np.nan)


def draw_traversals(ax, result: dict) -> None:
    """Left: best-UDR β_max model; right: best-UDR β_min model; one row per top-KL unit."""
    beta, n_act = np.asarray(result["beta"]), np.asarray(result["n_active"])
    t = np.asarray(result["traversals"], dtype=np.float64)
    for i, m in enumerate(result["show_models"]):
        t[i, min(len(t[i]), n_act[m]) :] = np.nan  # rows of inactive units stay blank
    pad = np.full((t.shape[1], 1, 256), np.nan)
    img = _pad(_mosaic(np.concatenate([t[0], pad, t[1]], 1)), top=12, bottom=12)
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    _image_axes(ax)
    for x, b in ((3.5 * 17, beta.max()), (11.5 * 17, beta.min())):
        name = f"β = {b:g}" + (" (best UDR)" if b == beta.max() else "")
        ax.text(x, 6, name, ha="center", va="center", fontsize=9, color=PALETTE["ink"])
    ax.text(
        img.shape[1] / 2,
        img.shape[0] - 5,
        "rows: top units by KL, swept −2.5…+2.5",
        ha="center",
        va="center",
        fontsize=8,
        color=PALETTE["gray"],
    )


def draw_alignment(ax, result: dict, runs: list) -> None:
    """Axis alignment (headline) and the plain score per β: first seed's models as dots, β
    medians with their range over the published seeds."""
    bs = np.unique(result["beta"])
    x = np.log2(bs)
    curves = [
        ("axis", "o-", "orange", "axis alignment (headline)"),
        ("align", "s-", "blue", "plain alignment score"),
        ("align_rot", "s--", "gray", "plain, units rotated"),
    ]
    for key, style, colour, label in curves:
        means = np.array([_by_beta(r, key) for r in runs])  # (seeds, n_beta)
        ax.plot(x, means[0], style, color=PALETTE[colour], label=label, ms=4)
        if len(runs) > 1:
            ax.fill_between(x, means.min(0), means.max(0), color=PALETTE[colour], alpha=0.2, lw=0)
        if key != "align_rot":
            ax.scatter(np.log2(result["beta"]), result[key], color=PALETTE[colour], s=8, alpha=0.4)
    ax.axhline(result["ceiling"]["align"], ls=":", color=PALETTE["green"], label="true factors")
    ax.set_xticks(x, [f"{b:g}" for b in bs])
    ax.set(xlabel="β", ylabel="score", ylim=(-0.05, 1.5), yticks=[0, 0.25, 0.5, 0.75, 1])
    ax.legend(fontsize=7, loc="upper center", ncol=2, frameon=False)  # above the curves


def draw_udr(ax, result: dict, runs: list) -> None:
    """Fig. 3d analogue: one dot per model of the first seed, r per seed."""
    beta, u, a = (np.asarray(result[k], dtype=np.float64) for k in ("beta", "udr", "axis"))
    bs = np.unique(beta)
    cmap = __import__("matplotlib").colormaps["viridis"]
    for i, b in enumerate(bs):
        ax.scatter(
            u[beta == b],
            a[beta == b],
            color=cmap(i / max(1, len(bs) - 1)),
            s=22,
            label=f"{b:g}",
            edgecolor="white",
            lw=0.4,
        )
    if np.ptp(u) > 0:
        xs = np.array([u.min(), u.max()])
        ax.plot(xs, np.polyval(np.polyfit(u, a, 1), xs), color=PALETTE["ink"], lw=1)
    rs = " / ".join(f"{_pearson(np.asarray(r['udr']), np.asarray(r['axis'])):.2f}" for r in runs)
    ax.text(
        0.03,
        0.97,
        f"r per seed = {rs}\n(paper, plain score: 0.96)",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
    )
    ax.set(xlabel="UDR (unsupervised disentanglement)", ylabel="axis alignment")
    ax.legend(title="β", fontsize=6, title_fontsize=7, loc="lower right", ncol=2, frameon=False)


def draw_decoded(ax, result: dict) -> None:
    """Rows: truth; β_max own reconstruction, then decoded from its k matched neurons; the same
    for β_min. Each decoded row prints its image error against the own reconstruction above."""
    beta, n_act = np.asarray(result["beta"]), np.asarray(result["n_active"])
    faces = np.asarray(result["faces"], dtype=np.float64)  # (5, n, 256)
    left = 44
    ax.imshow(_pad(_mosaic(faces), left=left), cmap="gray", vmin=0, vmax=1)
    _image_axes(ax)
    labels = ["truth"]
    for b, m in zip((beta.max(), beta.min()), result["show_models"], strict=True):
        err = float(np.mean((faces[len(labels) + 1] - faces[len(labels)]) ** 2))
        labels += [f"β={b:g}: own", f"from {n_act[m]} cells\nvs own {err:.3f}"]
    for i, label in enumerate(labels):
        ax.text(
            left - 2, 8 + 17 * i, label, ha="right", va="center", fontsize=7, color=PALETTE["ink"]
        )


def panels(result: dict, runs: list) -> list[Panel]:
    b_hi, b_lo = max(result["beta"]), min(result["beta"])
    return [
        Panel(
            "Latent traversals",
            partial(draw_traversals, result=result),
            f"Each row sweeps one unit of the best-UDR β={b_hi:g} (left) and β={b_lo:g} model "
            f"(right); at β={b_hi:g} each row changes one face factor.",
        ),
        Panel(
            "Alignment vs β",
            partial(draw_alignment, result=result, runs=runs),
            "Axis alignment (the units against themselves rotated) rises with β; the plain score "
            "rises too, but part of that is fewer active units. Lines: β medians; bands: their "
            "range over seeds.",
        ),
        Panel(
            "Alignment tracks UDR",
            partial(draw_udr, result=result, runs=runs),
            "Fig. 3d analogue, one dot per model; r per published seed.",
        ),
        Panel(
            "Faces from few neurons",
            partial(draw_decoded, result=result),
            "Fig. 7c analogue: novel faces, each model's own reconstruction, and the face decoded "
            f"from single matched neurons, with its MSE against that reconstruction. The "
            f"β={b_hi:g} model is the blurrier autoencoder, but its few neurons recover what it "
            "encodes.",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# controls: remove the mechanism, and the claims it names must fail

CONTROLS = [
    Control(
        name="beta-held",
        label="every model is trained at β = 1 and keeps its β label",
        override={"hold_beta": 1.0},
        breaks=("alignment-rises", "axis-alignment", "udr-tracks-neurons", "few-neuron-decoding"),
    ),
    Control(
        name="mixed-neurons",
        label="each synthetic neuron reads a random mix of all five factors, not one",
        override={"neuron_tuning": "mixed"},
        breaks=("axis-alignment",),
    ),
    Control(
        name="untrained",
        label="no model is trained (learning rate 0)",
        override={"lr": 0.0},
        breaks=(
            "beta1-learned",
            "alignment-rises",
            "axis-alignment",
            "udr-tracks-neurons",
            "few-neuron-decoding",
        ),
    ),
]

# ---------------------------------------------------------------------------------------------
# claims: thresholds per mode, in one place


@dataclass(frozen=True)
class Thresholds:
    """What each claim needs, per mode (set from seeds 100-119 and full runs, not test seeds)."""

    learned: float
    """β_min reconstruction MSE at most this times the mean-image MSE."""
    plain_gap: float
    """Plain alignment, mean β_max − mean β_min, at least this."""
    plain_rho: float
    """Spearman ρ(β, plain alignment) at least this (full mode; quick: every β_max model above
    every β_min model)."""
    axis_hi: float
    """Median axis alignment of the β_max models at least this."""
    axis_gap: float
    """Median axis alignment, β_max − β_min, at least this (β = 1 everywhere does not pass)."""
    udr_hi: float
    """Mean UDR of the β_max models at least this (an untrained code's is below 0.2)."""
    udr_ratio: float
    """Mean UDR, β_max / β_min, at least this."""
    rho_udr_axis: float
    """Spearman ρ(UDR, axis alignment) over all models at least this."""
    r_udr_axis: float
    """Pearson r(UDR, axis alignment) over all models at least this."""
    cos_ratio: float
    """Median cosine distance of single-neuron decoding, β_max / β_min, at most this."""
    self_ratio: float
    """Decoded-image error against the model's own reconstruction, β_max / β_min, at most this."""
    r2_tol: float = 1e-6
    """Rotating the active units changes linear R² by at most this (same span)."""


THRESHOLDS = {
    # quick, 5 models per β, seeds 100-119: median β16 axis alignment 0.26-0.97 on the 19 seeds
    # where it holds (115: 0.06, its β16 codes agree with each other, UDR 0.75, but not with the
    # neurons), β-held 0.15 at most; gap 0.18-0.89 vs β-held 0.14 at most
    "quick": Thresholds(
        learned=0.5,
        plain_gap=0.15,
        plain_rho=0.0,
        axis_hi=0.25,
        axis_gap=0.1,
        udr_hi=0.45,
        udr_ratio=1.5,
        rho_udr_axis=0.4,
        r_udr_axis=0.0,
        cos_ratio=0.5,
        self_ratio=0.5,
    ),
    "full": Thresholds(
        learned=0.5,
        plain_gap=0.25,
        plain_rho=0.7,
        axis_hi=0.3,
        axis_gap=0.2,
        udr_hi=0.45,
        udr_ratio=1.5,
        rho_udr_axis=0.6,
        r_udr_axis=0.6,
        cos_ratio=0.6,
        self_ratio=0.5,
    ),
}


def claims(result: dict) -> list[Claim]:
    full = result["mode"] != "quick"
    t = THRESHOLDS["full" if full else "quick"]
    keys = "beta align align_rot axis udr cos_dist mse_self mse_truth n_active r2_change recon_mse"
    v = {k: np.asarray(result[k], dtype=np.float64) for k in keys.split()}
    hi, lo = v["beta"] == v["beta"].max(), v["beta"] == v["beta"].min()
    H = {k: a[hi].mean() for k, a in v.items()}  # means over the β_max models
    L = {k: a[lo].mean() for k, a in v.items()}  # means over the β_min models
    bh, bl = f"β{v['beta'].max():g}", f"β{v['beta'].min():g}"
    out = []

    # the baseline: the β_min models are working autoencoders, not dead ones
    out.append(
        Claim.baseline_learned(
            id="beta1-learned",
            baseline=f"{bl} VAE",
            error=L["recon_mse"],
            trivial=float(result["trivial_mse"]),
            margin=t.learned,
            metric="reconstruction MSE",
            predictor="the mean face",
        )
    )

    # Fig. 3b: the paper's plain alignment score rises with β (partly the active-unit count)
    gap = H["align"] - L["align"]
    if full:
        rho = _spearman(v["beta"], v["align"])
        text = f"Spearman ρ(β, alignment) = {rho:.2f} ≥ {t.plain_rho}"
        ok, ev = rho >= t.plain_rho, {"spearman": rho}
    else:
        sep = v["align"][hi].min() - v["align"][lo].max()
        text = f"every {bh} model above every {bl} one ({sep:+.2f})"
        ok, ev = sep > 0, {"separation": sep}
    out.append(
        Claim(
            id="alignment-rises",
            statement=(
                f"The plain alignment score with single neurons rises with β: {text}, gap "
                f"{bh}−{bl} = {gap:.2f} ≥ {t.plain_gap} ({H['n_active']:.1f} vs "
                f"{L['n_active']:.1f} active units)"
            ),
            holds=ok and gap >= t.plain_gap,
            evidence={**ev, "gap": gap, "align_hi": H["align"], "align_lo": L["align"]},
            baseline="beta1-learned",
        )
    )

    # the headline: units line up with single neurons beyond what their number gives
    ax_hi, ax_lo = float(np.median(v["axis"][hi])), float(np.median(v["axis"][lo]))
    axis_gap, dr2 = ax_hi - ax_lo, float(v["r2_change"].max())
    out.append(
        Claim(
            id="axis-alignment",
            statement=(
                f"{bh} units line up with single neurons beyond their count: median axis "
                f"alignment (against the same units rotated) {ax_hi:.2f} ≥ {t.axis_hi}, vs {bl} "
                f"{ax_lo:.2f} (gap {axis_gap:.2f} ≥ {t.axis_gap}); the rotations keep linear R² "
                f"(change {dr2:.0e} ≤ {t.r2_tol:g})"
            ),
            holds=ax_hi >= t.axis_hi and axis_gap >= t.axis_gap and dr2 <= t.r2_tol,
            evidence={
                "axis_hi": ax_hi,
                "axis_lo": ax_lo,
                "axis_gap": axis_gap,
                "align_rot_hi": H["align_rot"],
                "max_r2_change": dr2,
            },
            baseline="beta1-learned",
        )
    )

    # Fig. 3d: the models that disentangle (UDR) are the ones aligned with the neurons
    rho = _spearman(v["udr"], v["axis"])
    r_axis, r_plain = _pearson(v["udr"], v["axis"]), _pearson(v["udr"], v["align"])
    udr_x = H["udr"] / max(L["udr"], 1e-12)
    out.append(
        Claim(
            id="udr-tracks-neurons",
            statement=(
                f"The models that disentangle are the ones aligned with the neurons: UDR {bh} "
                f"{H['udr']:.2f} ≥ {t.udr_hi} ({bl} {L['udr']:.2f}, ratio {udr_x:.1f} ≥ "
                f"{t.udr_ratio}), and over {len(v['udr'])} models "
                f"ρ(UDR, axis alignment) = {rho:.2f} ≥ {t.rho_udr_axis}, r = {r_axis:.2f} ≥ "
                f"{t.r_udr_axis} (plain score: r = {r_plain:.2f}; paper 0.96)"
            ),
            holds=H["udr"] >= t.udr_hi
            and udr_x >= t.udr_ratio
            and rho >= t.rho_udr_axis
            and r_axis >= t.r_udr_axis,
            evidence={
                "udr_hi": H["udr"],
                "udr_lo": L["udr"],
                "udr_ratio": udr_x,
                "spearman_udr_axis": rho,
                "r_udr_axis": r_axis,
                "r_udr_align": r_plain,
            },
        )
    )

    # Fig. 7: novel faces decode from a handful of single neurons
    cos_x, self_x = H["cos_dist"] / L["cos_dist"], H["mse_self"] / L["mse_self"]
    out.append(
        Claim(
            id="few-neuron-decoding",
            statement=(
                f"Novel faces decode from fewer single neurons at {bh}: {H['n_active']:.1f} vs "
                f"{L['n_active']:.1f} neurons, latent cosine distance {bh}/{bl} = {cos_x:.2f} ≤ "
                f"{t.cos_ratio}, image error vs own reconstruction {bh}/{bl} = {self_x:.2f} ≤ "
                f"{t.self_ratio}"
            ),
            holds=cos_x <= t.cos_ratio and self_x <= t.self_ratio and H["n_active"] < L["n_active"],
            evidence={
                "cos_ratio": cos_x,
                "mse_self_ratio": self_x,
                **{
                    f"{k}_{s}": d[k]
                    for k in ("n_active", "cos_dist", "mse_truth")
                    for s, d in (("hi", H), ("lo", L))
                },
            },
            baseline="beta1-learned",
        )
    )
    return out


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 when either side is constant (no evidence of a relation)."""
    return float(np.corrcoef(a, b)[0, 1]) if np.ptp(a) > 0 and np.ptp(b) > 0 else 0.0


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman ρ; 0 when either side is constant."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b)[0]) if np.ptp(a) > 0 and np.ptp(b) > 0 else 0.0
