"""Attentive Neural Processes: attention cures the NP's underfitting of its context.

Kim, Mnih, Schwarz, Garnelo, Eslami, Rosenbaum, Vinyals, Teh. "Attentive Neural Processes".
ICLR 2019. https://arxiv.org/abs/1901.05761
Official code: https://github.com/deepmind/neural-processes (attentive_neural_process.ipynb)

Reproduces Fig. 1 (left), NP vs ANP predictions on one GP curve, and Fig. 3 for 1-D GP regression
with random kernel hyper-parameters: context NLL against training iterations and against
training time. An NP (mean-aggregated deterministic path plus a latent path) and an ANP (8-head
cross-attention in the deterministic path, same latent path) are trained on identical batches
with the ELBO of Sec. 2 and evaluated on a fixed set of curves, beside a trivial predictor (the
context's mean, the context's standard deviation floored at 0.1 as the models' sigma is).

Set-up as in the official notebook: curves from a GP with squared-exponential kernel, l ~ U[0.1,
0.6) and sigma_f ~ U[0.1, 1) per curve, x ~ U[-2, 2], batch 16, at most 50 points, n_C ~ U{3..49}
context points shared by the batch, targets = the first n_C + n_extra points (they include the
contexts); MLPs [d]x4 in both encoders, decoder [d, d, 2], sigma_z = 0.1 + 0.9 sigmoid, sigma_y =
0.1 + 0.9 softplus; keys and queries from a shared MLP [d, d] on x; training draws z ~ q(z | s_T),
testing z ~ q(z | s_C); TensorFlow's initialisation (glorot-uniform dense layers with zero bias,
attention maps N(0, 1/d)); Adam at a constant learning rate.

Deviations from the paper (each one is a row of ``DEVIATIONS``, rendered on the page):

* Width d = 64 instead of 128 and 6,000 iterations at Adam lr 1e-3 instead of 100,000 at 1e-4,
  so that a seed fits in 3 CPU minutes (about 140 s on one core). At lr 3e-4 the NP's
  held-out MSE was still 0.82-0.85x the trivial predictor's after 6,000 iterations (seeds 1,
  2); at 1e-3 it is 0.59-0.70x (context MSE 0.47x) on seeds 0-2. Quick mode: d = 32, 600
  iterations of batch 32 at lr 2e-3 (the NP's plateau at the trivial predictor is shortest there). In both
  the NP has clearly learned (its context and held-out errors are far below the trivial
  predictor's, a claim below) but is far from its 1e5-step fit; the ANP/NP gaps are those of an
  early stage of the paper's training curves, not its final numbers.
* Only multihead attention; no Laplace or dot-product ANP, no NP with a larger bottleneck.
* The 8 per-head output maps, whose outputs the notebook sums, are written as one bias-free
  linear map of the concatenated heads, which is the same function.
* Evaluation: 4 fixed batches of 16 curves with n_C in {5, 10, 20, 40} of 50 points, evaluated
  at iteration 0 and every 600 iterations (50 in quick mode); NLL from S = 4 samples
  z ~ q(z | s_C); "final" = median of the last 3 evaluations (one overconfident evaluation of
  the ANP can spike its NLL by 0.5-0.9 nats). The paper's test-set size is not
  reproduced. The trivial predictor (context mean, context std floored at 0.1) is scored on
  the same curves.
* Training time is each model's own CPU seconds in its training steps (data and evaluation
  excluded; wall-clock with a device sync on a GPU): on a shared machine, CPU time is what
  wall-clock time would be on an idle one.
* Fig. 1 curve: fixed l = 0.4, sigma_f = 0.9 (inside the training range) so the curve has
  structure; 10 random contexts; the plotted band is the decoder's mu +- sigma at z = E[q(z|s_C)].

Caveat: the held-out NLL (targets that are not contexts) is reported but not claimed; see CAVEAT.
"""

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mlcollage.experiment import PALETTE, Claim, Control, Deviation, Panel

CAVEAT = (
    "Far fewer steps than the paper (6k vs 100k, d = 64): the NP has learned the curves' shape "
    "only in part (its MSE is 0.47-0.70x the context mean's). Held-out NLL is not claimed: "
    "the ANP's swings from one evaluation to the next, between calibrated and overconfident."
)

DEVIATIONS = [
    Deviation("training length", "100,000 iterations", "6,000 (quick: 600)",
              "a seed must fit in 3 CPU minutes; 100k iterations take ~50 min"),
    Deviation("learning rate", "Adam 1e-4, constant", "Adam 1e-3, constant (quick: 2e-3)",
              "a larger step makes up part of the shorter run; at 3e-4 the NP had barely "
              "left the trivial predictor after 6,000 iterations"),
    Deviation("batch size", "16 curves", "16 (quick: 32)",
              "in quick mode a bigger batch gets the NP off the trivial plateau within budget"),
    Deviation("width d", "128", "64 (quick: 32)",
              "halves the cost per step; d = 64 still learns the function class"),
    Deviation("attention variants", "Laplace, dot-product and multihead; NPs of several d",
              "multihead only, one NP", "the slide's claims are about multihead vs the NP"),
    Deviation("multihead output", "8 output maps, summed",
              "one bias-free map of the concatenated heads", "the same function"),
    Deviation("evaluation set", "not stated (the notebook plots one test curve)",
              "64 fixed curves, n_C in {5, 10, 20, 40} of 50 points; final = median of the last 3",
              "a fixed set makes NP and ANP numbers comparable across seeds"),
    Deviation("training time", "wall-clock seconds", "CPU seconds of each model's training steps",
              "the machine is shared; CPU time is the wall-clock time of an idle one"),
    Deviation("Fig. 1 curve", "a random test curve", "l = 0.4, sigma_f = 0.9, 10 random contexts",
              "a curve with structure, inside the training range"),
]  # fmt: skip

# ---------------------------------------------------------------------------------------------
# config


@dataclass(frozen=True)
class Config:
    """Official-notebook setup with a shortened schedule (see DEVIATIONS)."""

    d: int = 64
    """Hidden size of every MLP, the latent size and the attention width (paper: 128)."""
    n_heads: int = 8
    """Heads of the ANP's multihead cross-attention (head size d / n_heads; paper: 8)."""
    attention: str = "multihead"
    """The ANP's cross-attention: "multihead" (the paper's), or "uniform" (the mean of the
    values, i.e. the NP's aggregator: the negative control)."""
    batch_size: int = 16
    """Curves per training batch (paper: 16)."""
    max_points: int = 50
    """MAX_CONTEXT_POINTS: contexts + extra targets per curve (paper: 50)."""
    min_context: int = 3
    """n_C ~ U{min_context, ..., max_points - 1} per batch (paper: 3)."""
    l_range: tuple[float, float] = (0.1, 0.6)
    """Kernel length scale l ~ U[lo, hi) per curve (paper: 0.1, 0.6)."""
    sigma_f_range: tuple[float, float] = (0.1, 1.0)
    """Kernel output scale sigma_f ~ U[lo, hi) per curve (paper: 0.1, 1.0)."""
    noise: float = 0.02
    """Std of the jitter on the kernel diagonal (paper: 0.02)."""
    lr: float = 1e-3
    """Adam learning rate, constant (paper: 1e-4 over ~17x more iterations)."""
    iterations: int = 6000
    """Training iterations per model (paper: 100,000)."""
    eval_every: int = 600
    """Evaluate both models every this many iterations (and at iteration 0)."""
    eval_contexts: tuple[int, ...] = (5, 10, 20, 40)
    """n_C of the fixed evaluation batches, each of max_points points."""
    eval_batch: int = 16
    """Curves per evaluation batch."""
    n_z: int = 4
    """S: latent samples in the NLL estimator."""
    n_tail: int = 3
    """The "final" value of a metric = the median of its last n_tail evaluations."""
    plot_context: int = 10
    """Context points on the Fig. 1 curve."""
    plot_kernel: tuple[float, float] = (0.4, 0.9)
    """(l, sigma_f) of the Fig. 1 curve."""

    @classmethod
    def quick(cls) -> "Config":
        return cls(d=32, batch_size=32, lr=2e-3, iterations=600, eval_every=50)


# ---------------------------------------------------------------------------------------------
# data: GP curves with a random squared-exponential kernel (the notebook's GPCurvesReader)


def se_kernel(x, ell, sigma_f, noise):
    """sigma_f^2 exp(-(x - x')^2 / 2 l^2) + noise^2 I; x [B, N], ell = l and sigma_f [B]."""
    diff = (x[:, :, None] - x[:, None, :]) / ell[:, None, None]
    K = sigma_f[:, None, None] ** 2 * torch.exp(-0.5 * diff**2)
    return K + noise**2 * torch.eye(x.shape[1], dtype=x.dtype)


def sample_gp(x, ell, sigma_f, noise, gen):
    """One curve per row of x [B, N] (CPU float), through a float64 Cholesky -> y [B, N] float32."""
    L = torch.linalg.cholesky(se_kernel(x.double(), ell.double(), sigma_f.double(), noise))
    eps = torch.randn(x.shape[0], x.shape[1], 1, generator=gen, dtype=torch.float64)
    return (L @ eps)[..., 0].float()


def sample_curves(cfg, n_curves, n_points, gen):
    """x ~ U[-2, 2], random (l, sigma_f) per curve -> x, y [n_curves, n_points, 1] on the CPU."""

    def uniform(lo_hi, *shape):
        return lo_hi[0] + (lo_hi[1] - lo_hi[0]) * torch.rand(*shape, generator=gen)

    x = uniform((-2.0, 2.0), n_curves, n_points)
    ell, sigma_f = uniform(cfg.l_range, n_curves), uniform(cfg.sigma_f_range, n_curves)
    y = sample_gp(x, ell, sigma_f, cfg.noise, gen)
    return x[..., None], y[..., None]


def train_batch(cfg, gen):
    """Notebook training batch: n_C and n_extra shared by the batch; contexts = first n_C."""
    n_c = int(torch.randint(cfg.min_context, cfg.max_points, (), generator=gen))
    n_extra = int(torch.randint(0, cfg.max_points - n_c, (), generator=gen))
    x, y = sample_curves(cfg, cfg.batch_size, n_c + n_extra, gen)
    return x[:, :n_c], y[:, :n_c], x, y  # xc, yc [B, n_C, 1]; xt, yt [B, n_T, 1] include them


def eval_set(cfg, gen, device):
    """The fixed evaluation batches: (xc, yc, xt, yt) with n_C in cfg.eval_contexts."""
    batches = []
    for n_c in cfg.eval_contexts:
        x, y = sample_curves(cfg, cfg.eval_batch, cfg.max_points, gen)
        batches.append(tuple(t.to(device) for t in (x[:, :n_c], y[:, :n_c], x, y)))
    return batches


def plot_curve(cfg, gen):
    """Fig. 1's test curve on the notebook's grid arange(-2, 2, 0.01), and its random contexts."""
    x = torch.arange(-2.0, 2.0, 0.01)[None]  # [1, 400]
    ell, sigma_f = (torch.tensor([v]) for v in cfg.plot_kernel)
    y = sample_gp(x, ell, sigma_f, cfg.noise, gen)
    idx = torch.randperm(x.shape[1], generator=gen)[: cfg.plot_context]
    return {"x": x[0], "y": y[0], "xc": x[0, idx], "yc": y[0, idx]}


# ---------------------------------------------------------------------------------------------
# model: NP (Sec. 2.1) and ANP (Sec. 3, Fig. 2); the NP is the ANP with uniform attention


def mlp(sizes):
    """Linear layers with ReLU between them (none after the last), as in the notebook."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


def uniform_attention(v, n_targets):
    """NP aggregator: r* = mean_i r_i for every target. v [B, n_C, d] -> [B, n_T, d]."""
    return v.mean(dim=1, keepdim=True).expand(-1, n_targets, -1)


def dot_product_attention(q, k, v):
    """softmax(Q K^T / sqrt(d_k)) V. q [..., n_T, d_k], k [..., n_C, d_k], v [..., n_C, d_v]."""
    w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)  # [.., n_T, n_C]
    return w @ v


class MultiheadCrossAttention(nn.Module):
    """Sec. 2.2: h heads of dot-product attention on bias-free linear maps of (Q, K, V)."""

    def __init__(self, d, n_heads):
        super().__init__()
        self.h = n_heads
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(d, d, bias=False) for _ in range(4))

    def forward(self, q, k, v):  # q [B, n_T, d], k and v [B, n_C, d] -> [B, n_T, d]
        B, n_t, d = q.shape

        def heads(t):  # [B, n, d] -> [B, h, n, d/h]
            return t.view(B, -1, self.h, d // self.h).transpose(1, 2)

        o = dot_product_attention(heads(self.wq(q)), heads(self.wk(k)), heads(self.wv(v)))
        return self.wo(o.transpose(1, 2).reshape(B, n_t, d))  # = sum_h W_o^h head_h


class NeuralProcess(nn.Module):
    """Fig. 2: latent path q(z | s_C), deterministic path r*, decoder p(y* | x*, r*, z).

    attention = "uniform" gives the NP (r* = mean_i r_i), "multihead" the ANP (Sec. 3).
    """

    def __init__(self, d, n_heads, attention):
        super().__init__()
        self.attention = attention
        self.latent_mlp = mlp([2, d, d, d, d])  # s_i = MLP(x_i, y_i)
        self.latent_hidden = nn.Sequential(nn.Linear(d, d), nn.ReLU())
        self.latent_mu, self.latent_sigma = nn.Linear(d, d), nn.Linear(d, d)
        self.det_mlp = mlp([2, d, d, d, d])  # r_i = MLP(x_i, y_i)
        self.qk_mlp = mlp([1, d, d])  # shared by the queries x* and the keys x_i
        self.attend = MultiheadCrossAttention(d, n_heads)
        self.decoder = mlp([d + d + 1, d, d, 2])  # (r*, z, x*) -> (mu, sigma)
        init_like_tensorflow(self)

    def q_z(self, x, y):
        """q(z | s) = N(mu_z, sigma_z^2) with s = mean_i s_i. x, y [B, n, 1] -> [B, d] twice."""
        s = self.latent_hidden(self.latent_mlp(torch.cat([x, y], -1)).mean(1))
        return self.latent_mu(s), 0.1 + 0.9 * torch.sigmoid(self.latent_sigma(s))

    def r_star(self, xc, yc, xt):  # -> [B, n_T, d]
        r = self.det_mlp(torch.cat([xc, yc], -1))  # [B, n_C, d]
        if self.attention == "uniform":
            return uniform_attention(r, xt.shape[1])
        return self.attend(self.qk_mlp(xt), self.qk_mlp(xc), r)

    def decode(self, r, z, xt):
        """p(y* | x*, r*, z). r [B, n_T, d], z [..., B, d] -> mu, sigma [..., B, n_T]."""
        lead = z.shape[:-2]
        z = z[..., None, :].expand(*lead, *r.shape)
        h = torch.cat([r.expand(*lead, *r.shape), z, xt.expand(*lead, *xt.shape)], -1)
        out = self.decoder(h)
        return out[..., 0], 0.1 + 0.9 * F.softplus(out[..., 1])


def init_like_tensorflow(model):
    """The notebook's init: dense layers glorot-uniform with zero bias (tf.layers.dense's
    default); the attention's q/k/v maps N(0, 1/d_in) and its output map N(0, 1/d_v)."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    if isinstance(getattr(model, "attend", None), MultiheadCrossAttention):
        for lin in (model.attend.wq, model.attend.wk, model.attend.wv, model.attend.wo):
            nn.init.normal_(lin.weight, std=lin.in_features**-0.5)


def gauss_logpdf(y, mu, sigma):
    return -0.5 * ((y - mu) / sigma) ** 2 - sigma.log() - 0.5 * math.log(2 * math.pi)


def kl_gauss(mu1, s1, mu0, s0):
    """KL(N(mu1, s1^2) || N(mu0, s0^2)) summed over the last axis."""
    return ((s0 / s1).log() + (s1**2 + (mu1 - mu0) ** 2) / (2 * s0**2) - 0.5).sum(-1)


def elbo_loss(model, xc, yc, xt, yt, gen):
    """Notebook loss: -mean_{b,t}[log p(y_t | z) - KL(q(z|s_T) || q(z|s_C)) / n_T], z ~ q(z|s_T)."""
    mu_t, s_t = model.q_z(xt, yt)
    mu_c, s_c = model.q_z(xc, yc)
    z = mu_t + s_t * torch.randn(mu_t.shape, generator=gen, device=mu_t.device)
    mu, sigma = model.decode(model.r_star(xc, yc, xt), z, xt)  # [B, n_T]
    log_p = gauss_logpdf(yt[..., 0], mu, sigma)
    return -(log_p - kl_gauss(mu_t, s_t, mu_c, s_c)[:, None] / xt.shape[1]).mean()


# ---------------------------------------------------------------------------------------------
# metrics

METRICS = ("ctx_nll", "all_nll", "heldout_nll", "ctx_mse", "heldout_mse", "heldout_cover")


def split_metrics(lp, mu, sigma, y, n_c):
    """Per-point metrics of one batch: lp [S, B, n_T] log-densities at S latent samples, mu and
    sigma [B, n_T] the prediction at z = E[q(z|s_C)], y [B, n_T]; the first n_c are contexts.

    NLL_A = -(1/|A|) log[(1/S) sum_s prod_{j in A} N(y_j; mu_s, sigma_s)], averaged over curves;
    MSE of mu; cover = fraction of held-out y within mu +- sigma (0.68 if calibrated).
    """
    out = {}
    for name, part in (("ctx", lp[..., :n_c]), ("all", lp), ("heldout", lp[..., n_c:])):
        ll = torch.logsumexp(part.sum(-1), 0) - math.log(lp.shape[0])  # [B]
        out[f"{name}_nll"] = float((-ll / part.shape[-1]).mean())
    se = (mu - y) ** 2
    out["ctx_mse"], out["heldout_mse"] = float(se[:, :n_c].mean()), float(se[:, n_c:].mean())
    out["heldout_cover"] = float(((y - mu).abs() <= sigma)[:, n_c:].float().mean())
    return out


def evaluate(model, batches, n_z, gen_seed, device):
    """`split_metrics` of the model on every evaluation batch, averaged over the batches."""
    gen = torch.Generator(device=device)
    gen.manual_seed(gen_seed)  # the same z noise at every evaluation
    rows = []
    with torch.no_grad():
        for xc, yc, xt, yt in batches:
            mu_z, s_z = model.q_z(xc, yc)
            r = model.r_star(xc, yc, xt)
            z = mu_z + s_z * torch.randn((n_z, *mu_z.shape), generator=gen, device=device)
            y = yt[..., 0]
            lp = gauss_logpdf(y, *model.decode(r, z, xt))  # [S, B, n_T]
            rows.append(split_metrics(lp, *model.decode(r, mu_z, xt), y, xc.shape[1]))
    return {k: float(np.mean([row[k] for row in rows])) for k in METRICS}


def trivial_predictor(batches):
    """The baseline every model must beat: mu = mean of the context y, sigma = max(std, 0.1)."""
    rows = []
    for xc, yc, _, yt in batches:
        y, n_c = yt[..., 0].cpu(), xc.shape[1]
        mu = yc[..., 0].cpu().mean(1, keepdim=True).expand_as(y)
        sigma = yc[..., 0].cpu().std(1, unbiased=False).clamp_min(0.1)[:, None].expand_as(y)
        rows.append(split_metrics(gauss_logpdf(y, mu, sigma)[None], mu, sigma, y, n_c))
    return {k: float(np.mean([row[k] for row in rows])) for k in METRICS}


def first_reaching(curve, level):
    """Index of the first value of the 3-point moving average of curve at or below level (-1)."""
    hits = np.nonzero(smooth(curve) <= level)[0]
    return int(hits[0]) if len(hits) else -1


def smooth(v):
    """3-point moving average (the paper plots moving averages), same length."""
    v = np.asarray(v, float)
    p = np.pad(v, 1, mode="edge")
    return (p[:-2] + p[1:-1] + p[2:]) / 3


# ---------------------------------------------------------------------------------------------
# run

NAMES = ("np", "anp")


def run(config: Config, ctx) -> dict:
    cfg, dev = config, ctx.device
    t_start = time.perf_counter()
    batches = eval_set(cfg, ctx.generator(10_000), dev)  # fixed evaluation curves
    curve = plot_curve(cfg, ctx.generator(20_000))  # Fig. 1
    models = {
        "np": NeuralProcess(cfg.d, cfg.n_heads, "uniform").to(dev),
        "anp": NeuralProcess(cfg.d, cfg.n_heads, cfg.attention).to(dev),
    }
    hist = train(models, batches, cfg, ctx)  # Fig. 3: both models, identical batches
    summary = summarise(hist, cfg)
    summary.update({f"trivial_{k}": v for k, v in trivial_predictor(batches).items()})
    return {
        "mode": ctx.mode,
        "iterations": cfg.iterations,
        "eval_its": np.asarray(hist.pop("its")),
        **{k: {key: np.asarray(v, np.float32) for key, v in hist[k].items()} for k in NAMES},
        "test_curve": predict_curve(models, curve, dev),
        "summary": summary,
        "device": str(dev),
        "wall_s": time.perf_counter() - t_start,
    }


def train(models, batches, cfg, ctx):
    """Train both models on one batch stream; evaluate at 0 and every eval_every iterations.

    Returns {"its": [E], "np"/"anp": {metric: [E], "train_time": [E]}}; train_time is the model's
    CPU seconds in its own steps (wall-clock, device synced, on a GPU)."""
    dev = ctx.device
    cuda = torch.device(dev).type == "cuda"
    clock = time.perf_counter if cuda else time.process_time
    opts = {k: torch.optim.Adam(m.parameters(), lr=cfg.lr, foreach=True) for k, m in models.items()}
    z_gens = {k: ctx.generator(1 + i, device=dev) for i, k in enumerate(NAMES)}
    g_train = ctx.generator(0)
    seconds = {k: 0.0 for k in NAMES}
    hist = {"its": [], **{k: {"train_time": []} for k in NAMES}}

    def record(it):
        hist["its"].append(it)
        for k in NAMES:
            for key, v in evaluate(models[k], batches, cfg.n_z, ctx.seed + 30_000, dev).items():
                hist[k].setdefault(key, []).append(v)
            hist[k]["train_time"].append(seconds[k])

    record(0)
    for it in range(1, cfg.iterations + 1):
        batch = [t.to(dev) for t in train_batch(cfg, g_train)]
        for k in NAMES:
            t0 = clock()
            loss = elbo_loss(models[k], *batch, z_gens[k])
            opts[k].zero_grad(set_to_none=True)
            loss.backward()
            opts[k].step()
            if cuda:
                torch.cuda.synchronize()
            seconds[k] += clock() - t0
        if it % cfg.eval_every == 0 or it == cfg.iterations:
            record(it)
        if it % max(1, cfg.iterations // 50) == 0:
            ctx.progress(it, cfg.iterations)
    return hist


def summarise(hist, cfg):
    """Finals (tail medians) and the speed statistic: the fit = the NP's final context NLL; the
    first evaluation at which each model's smoothed context NLL reaches it, and its time."""
    its, s = np.asarray(hist["its"]), {}
    for k in NAMES:
        for key, v in hist[k].items():
            if key != "train_time":
                s[f"{k}_{key}"] = float(np.median(v[-cfg.n_tail :]))
        s[f"{k}_train_time"] = float(hist[k]["train_time"][-1])
    for k in NAMES:
        i = first_reaching(hist[k]["ctx_nll"], s["np_ctx_nll"])
        if k == "np" and i < 0:  # its smoothed curve lags the median: it got there at the end
            i = len(its) - 1
        s[f"{k}_it_to_fit"] = int(its[i]) if i >= 0 else -1
        s[f"{k}_time_to_fit"] = float(hist[k]["train_time"][i]) if i >= 0 else -1.0
    return s


def predict_curve(models, curve, dev):
    """Fig. 1: each model's mean and sigma on the test grid at z = E[q(z | s_C)]."""
    xc, yc, x = (curve[k][None, :, None].to(dev) for k in ("xc", "yc", "x"))
    out = {k: v.numpy() for k, v in curve.items()}
    with torch.no_grad():
        for k, m in models.items():
            mu, sigma = m.decode(m.r_star(xc, yc, x), m.q_z(xc, yc)[0], x)
            out[f"{k}_mu"] = mu[0].cpu().numpy().astype(np.float32)
            out[f"{k}_sigma"] = sigma[0].cpu().numpy().astype(np.float32)
    return out


# ---------------------------------------------------------------------------------------------
# claims: thresholds in one place per mode; quick set from seeds 100-119, full from seeds 0-2


@dataclass(frozen=True)
class Thresholds:
    learned: float
    """The NP's context and held-out MSE are at most this times the trivial predictor's."""
    ctx_gap: float
    """NP context NLL - ANP context NLL is at least this (nats per point)."""
    ctx_ratio: float
    """NP context MSE / ANP context MSE is at least this."""
    all_gap: float
    """NP all-target NLL - ANP all-target NLL is at least this."""
    heldout_ratio: float
    """ANP held-out MSE / NP held-out MSE is at most this."""
    speed_it: float
    """The ANP reaches the NP's final fit in at most this fraction of the NP's iterations..."""
    speed_time: float
    """...and in at most this fraction of the NP's training seconds for the same fit."""


THRESHOLDS = {
    "full": Thresholds(learned=0.8, ctx_gap=0.5, ctx_ratio=4.0, all_gap=0.1, heldout_ratio=0.75,
                       speed_it=0.5, speed_time=0.6),
    "quick": Thresholds(learned=0.93, ctx_gap=0.4, ctx_ratio=4.0, all_gap=0.075,
                        heldout_ratio=0.8, speed_it=0.5, speed_time=0.8),
}  # fmt: skip

CONTROLS = [
    Control(
        name="uniform-attention",
        label="the ANP's attention is replaced by uniform weights (the mean of the values)",
        override={"attention": "uniform"},
        breaks=("ctx-underfit", "ctx-mse", "all-nll", "heldout-mse", "faster"),
    ),
    Control(
        name="untrained",
        label="neither network is trained (learning rate 0)",
        override={"lr": 0.0},
        breaks=(
            "np-learned-context",
            "np-learned-heldout",
            "ctx-underfit",
            "ctx-mse",
            "heldout-mse",
            "faster",
        ),  # not all-nll: two untrained networks' NLLs differ by up to 0.2 nats at random
    ),
]


def claims(result: dict) -> list[Claim]:
    s, t = result["summary"], THRESHOLDS[result["mode"]]

    def pair(key):
        return {f"np_{key}": s[f"np_{key}"], f"anp_{key}": s[f"anp_{key}"],
                f"trivial_{key}": s[f"trivial_{key}"]}  # fmt: skip

    ctx_gap = s["np_ctx_nll"] - s["anp_ctx_nll"]
    ctx_ratio = s["np_ctx_mse"] / s["anp_ctx_mse"]
    all_gap = s["np_all_nll"] - s["anp_all_nll"]
    ho_ratio = s["anp_heldout_mse"] / s["np_heldout_mse"]
    it_np, it_anp = s["np_it_to_fit"], s["anp_it_to_fit"]
    reached = it_np > 0 and it_anp >= 0  # the NP's fit is a trained one, and the ANP got there
    it_frac = it_anp / it_np if reached else -1.0
    time_frac = s["anp_time_to_fit"] / s["np_time_to_fit"] if reached else -1.0
    return [
        Claim.baseline_learned("np-learned-context", "NP", s["np_ctx_mse"], s["trivial_ctx_mse"],
                               t.learned, "context MSE", "the context mean"),
        Claim.baseline_learned("np-learned-heldout", "NP", s["np_heldout_mse"],
                               s["trivial_heldout_mse"], t.learned, "held-out MSE",
                               "the context mean"),
        Claim("ctx-underfit",
              f"The NP underfits its context and the ANP does not: context NLL "
              f"{s['np_ctx_nll']:.2f} vs {s['anp_ctx_nll']:.2f} (trivial "
              f"{s['trivial_ctx_nll']:.2f}), gap {ctx_gap:.2f} ≥ {t.ctx_gap}",
              ctx_gap >= t.ctx_gap, {**pair("ctx_nll"), "gap": ctx_gap},
              baseline="np-learned-context"),
        Claim("ctx-mse",
              f"The ANP's mean goes through the contexts: context MSE NP {s['np_ctx_mse']:.3f} "
              f"/ ANP {s['anp_ctx_mse']:.3f} = {ctx_ratio:.1f}× ≥ {t.ctx_ratio:g}×",
              ctx_ratio >= t.ctx_ratio, {**pair("ctx_mse"), "ratio": ctx_ratio},
              baseline="np-learned-context"),
        Claim("all-nll",
              f"The ANP predicts all targets (contexts included) better: NLL "
              f"{s['np_all_nll']:.2f} vs {s['anp_all_nll']:.2f} (trivial "
              f"{s['trivial_all_nll']:.2f}), gap {all_gap:.2f} ≥ {t.all_gap}",
              all_gap >= t.all_gap, {**pair("all_nll"), "gap": all_gap},
              baseline="np-learned-heldout"),
        Claim("heldout-mse",
              f"The ANP is more accurate away from the contexts: held-out MSE ANP "
              f"{s['anp_heldout_mse']:.3f} / NP {s['np_heldout_mse']:.3f} = {ho_ratio:.2f} "
              f"≤ {t.heldout_ratio}",
              ho_ratio <= t.heldout_ratio, {**pair("heldout_mse"), "ratio": ho_ratio},
              baseline="np-learned-heldout"),
        Claim("faster",
              f"The ANP reaches the NP's final context NLL ({s['np_ctx_nll']:.2f}) at iteration "
              f"{it_anp} vs the NP's {it_np} ({it_frac:.0%}) and in {time_frac:.0%} of the NP's "
              f"training seconds for it (≤ {t.speed_it:.0%} and ≤ {t.speed_time:.0%})",
              reached and it_frac <= t.speed_it and time_frac <= t.speed_time,
              {"anp_it_to_fit": it_anp, "np_it_to_fit": it_np, "it_fraction": it_frac,
               "anp_time_to_fit_s": s["anp_time_to_fit"], "np_time_to_fit_s": s["np_time_to_fit"],
               "time_fraction": time_frac},
              baseline="np-learned-context"),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# figure: one module-level function per panel

COLOURS = {"np": PALETTE["blue"], "anp": PALETTE["red"]}
LABELS = {"np": "NP", "anp": "ANP"}


def draw_prediction(ax, result, k):
    """Fig. 1: the model's mean +- sigma on the test curve, the true function and the contexts."""
    tc = result["test_curve"]
    x, mu, s = tc["x"], tc[f"{k}_mu"], tc[f"{k}_sigma"]
    ax.fill_between(x, mu - s, mu + s, color=COLOURS[k], alpha=0.2, lw=0, label="mean ± σ")
    ax.plot(x, tc["y"], ":", color=PALETTE["ink"], lw=1.5, label="true function")
    ax.plot(x, mu, color=COLOURS[k], lw=2, label=f"{LABELS[k]} mean")
    ax.plot(tc["xc"], tc["yc"], "o", color=PALETTE["ink"], ms=5, label="context", zorder=5)
    ax.set(xlim=(-2, 2), ylim=(-2.5, 2.5), xlabel="x", ylabel="y")
    ax.legend(loc="lower left", fontsize=7, ncol=2, frameon=False)


def draw_ctx_nll(ax, runs, xkey):
    """Fig. 3: context NLL (mean over seeds, band = min-max) against iterations or seconds."""
    for k in NAMES:
        curves = np.stack([smooth(r[k]["ctx_nll"]) for r in runs])
        xs = np.mean([r["eval_its"] if xkey == "it" else r[k]["train_time"] for r in runs], 0)
        c = COLOURS[k]
        ax.fill_between(xs, curves.min(0), curves.max(0), color=c, alpha=0.2, lw=0)
        ax.plot(xs, curves.mean(0), color=c, lw=2, label=f"{LABELS[k]}")
    trivial = np.mean([r["summary"]["trivial_ctx_nll"] for r in runs])
    ax.axhline(trivial, color=PALETTE["gray"], lw=1, ls="--", label="context mean (trivial)")
    ax.set(xlabel="iteration" if xkey == "it" else "training CPU seconds",
           ylabel="context NLL per point")  # fmt: skip
    ax.legend(fontsize=7, frameon=False, loc="upper right")


def panels(result: dict, runs: list) -> list[Panel]:
    s, n = result["summary"], len(runs)

    def cover(k):
        return f"{s[f'{k}_heldout_cover']:.0%} of held-out evaluation points lie inside its ±σ band"

    return [
        Panel("NP prediction", lambda ax: draw_prediction(ax, result, "np"),
              "NP mean ± σ on a GP curve given 10 contexts: a smooth mean "
              f"that misses the context points; {cover('np')} (68% if calibrated)."),
        Panel("ANP prediction", lambda ax: draw_prediction(ax, result, "anp"),
              "ANP (8-head attention) on the same curve: its mean passes through the contexts; "
              f"{cover('anp')} (68% if calibrated)."),
        Panel("Context NLL vs iteration", lambda ax: draw_ctx_nll(ax, runs, "it"),
              f"3-point moving average; line = mean, band = range over {n} seed(s); dashed: the "
              "trivial predictor (context mean and std)."),
        Panel("Context NLL vs training time", lambda ax: draw_ctx_nll(ax, runs, "time"),
              "The same curves against each model's own training CPU seconds."),
    ]  # fmt: skip
