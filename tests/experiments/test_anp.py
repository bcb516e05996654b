"""Attentive Neural Processes (Kim et al. 2019): metrics on exact truth, quick runs, controls, panels.

The non-slow part runs two quick seeds and each control once (about a minute of CPU); the slow
part runs full mode on the published seeds.
"""

import math

import numpy as np
import pytest
import torch

from mlcollage.experiment import controls_of, roundtrip

from exp_helpers import (
    assert_same_result,
    draw_panels,
    failed_claims,
    load,
    run_control,
    run_mode,
    still_holding,
)

SLUG = "kim-2019-attentive-neural-processes"
SEEDS = (0, 1)
# wall-clock measurements differ between two runs of the same seed; everything else must not
TIMING = frozenset(
    {"train_time", "wall_s", "np_train_time", "anp_train_time", "np_time_to_fit", "anp_time_to_fit"}
)


@pytest.fixture(scope="module")
def exp():
    return load(SLUG)


@pytest.fixture(scope="module")
def quick(exp):
    return {seed: run_mode(exp, seed, "quick") for seed in SEEDS}


# ---------------------------------------------------------------------------------------------
# quick runs and controls


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_claims_hold(exp, quick, seed):
    assert quick[seed]["mode"] == "quick"
    assert failed_claims(exp, quick[seed]) == []


def test_every_claim_is_tested_by_a_control(exp, quick):
    ids = {c.id for c in exp.claims(quick[0])}
    broken = {i for c in controls_of(exp) for i in c.breaks}
    assert broken == ids
    assert {c.name for c in controls_of(exp)} >= {"uniform-attention", "untrained"}


@pytest.mark.parametrize("name", ["uniform-attention", "untrained"])
def test_control_breaks_its_claims(exp, name):
    assert still_holding(exp, name, run_control(exp, name, seed=0)) == []


def test_panels_draw_with_runs(exp, quick):
    runs = [quick[s] for s in SEEDS]
    assert draw_panels(exp, runs[0], runs) == 4
    assert draw_panels(exp, runs[0]) == 4  # a single run is its own spread


def test_same_seed_same_result(exp):
    a = run_mode(exp, 3, "quick", iterations=20, eval_every=10)
    b = run_mode(exp, 3, "quick", iterations=20, eval_every=10)
    assert_same_result(a, b, skip=TIMING)
    c = run_mode(exp, 4, "quick", iterations=20, eval_every=10)
    assert not np.array_equal(a["np"]["ctx_nll"], c["np"]["ctx_nll"])


def test_result_is_small(quick):
    arrays = []

    def walk(v):
        if isinstance(v, dict):
            for w in v.values():
                walk(w)
        elif isinstance(v, np.ndarray):
            arrays.append(v)

    walk(quick[0])
    assert sum(a.nbytes for a in arrays) < 100_000


def test_claims_fail_when_anp_is_no_better(exp, quick):
    """`holds` comes from the numbers: copy the NP's metrics onto the ANP and every finding fails."""
    result = roundtrip(quick[0])
    s = result["summary"]
    for key in ("ctx_nll", "all_nll", "ctx_mse", "heldout_mse", "it_to_fit", "time_to_fit"):
        s[f"anp_{key}"] = s[f"np_{key}"]
    failed = {c.id for c in exp.claims(result) if not c.holds}
    assert failed == {c.id for c in exp.claims(result) if c.kind == "finding"}


def test_baseline_claims_fail_for_a_trivial_np(exp, quick):
    result = roundtrip(quick[0])
    s = result["summary"]
    s["np_ctx_mse"], s["np_heldout_mse"] = s["trivial_ctx_mse"], s["trivial_heldout_mse"]
    held = {c.id: c.holds for c in exp.claims(result)}
    assert not held["np-learned-context"] and not held["np-learned-heldout"]


def test_findings_name_a_baseline_claim(exp, quick):
    claims = exp.claims(quick[0])
    baselines = {c.id for c in claims if c.kind == "baseline"}
    assert baselines == {"np-learned-context", "np-learned-heldout"}
    assert all(c.baseline in baselines for c in claims if c.kind == "finding")


def test_caveat_and_deviations(exp):
    assert "Held-out NLL" in exp.CAVEAT and "overconfident" in exp.CAVEAT
    assert "CAVEAT" in exp.__doc__
    whats = {d.what for d in exp.DEVIATIONS}
    assert {"training length", "learning rate", "width d", "evaluation set"} <= whats
    assert not any("held-out NLL" in c.statement for c in exp.claims(run_stub(exp)))


def run_stub(exp, mode="full"):
    """A minimal result for claims() alone."""
    s = {
        f"{m}_{k}": 0.5
        for m in ("np", "anp", "trivial")
        for k in ("ctx_nll", "all_nll", "heldout_nll", "ctx_mse", "heldout_mse")
    }
    s.update(np_it_to_fit=1000, anp_it_to_fit=100, np_time_to_fit=10.0, anp_time_to_fit=1.0)
    return {"mode": mode, "iterations": 1000, "summary": s}


def test_speed_claim_needs_both_iterations_and_time(exp):
    def faster(**kw):
        r = run_stub(exp)
        r["summary"].update(kw)
        return next(c for c in exp.claims(r) if c.id == "faster").holds

    assert faster()
    assert not faster(anp_time_to_fit=9.0)  # fewer iterations but not less time
    assert not faster(anp_it_to_fit=900)
    assert not faster(anp_it_to_fit=-1, anp_time_to_fit=-1.0)  # never reached the fit
    assert not faster(np_it_to_fit=0, np_time_to_fit=0.0)  # the NP's fit is its untrained one


# ---------------------------------------------------------------------------------------------
# unit tests of the metrics and the model, on exact or synthetic truth


def test_split_metrics_on_a_known_prediction(exp):
    """Two curves, 2 contexts + 2 held-out points each, one latent sample: every number by hand."""
    y = torch.tensor([[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]])
    mu = torch.tensor([[0.0, 1.0, 2.5, 3.0], [1.0, 1.0, 1.0, 3.0]])
    sigma = torch.full_like(y, 1.0)
    lp = exp.gauss_logpdf(y, mu, sigma)[None]
    m = exp.split_metrics(lp, mu, sigma, y, n_c=2)
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    assert m["ctx_mse"] == pytest.approx(0.0)
    assert m["heldout_mse"] == pytest.approx((0.25 + 0 + 0 + 4.0) / 4)
    assert m["ctx_nll"] == pytest.approx(half_log_2pi)
    assert m["heldout_nll"] == pytest.approx(half_log_2pi + (0.125 / 2 + 2.0 / 2) / 2)
    assert m["all_nll"] == pytest.approx(half_log_2pi + (0.125 / 4 + 2.0 / 4) / 2)
    assert m["heldout_cover"] == pytest.approx(3 / 4)  # |2-2.5| <= 1, |1-3| > 1


def test_nll_averages_likelihoods_over_latent_samples(exp):
    """-log mean_s exp(ll_s): two samples with joint log-likelihoods a and b."""
    y = torch.zeros(1, 1)
    lp = torch.tensor([[[-1.0]], [[-3.0]]])  # [S=2, B=1, n_T=1]
    m = exp.split_metrics(lp, y, torch.ones_like(y), y, n_c=1)
    assert m["ctx_nll"] == pytest.approx(-math.log((math.exp(-1) + math.exp(-3)) / 2))


def test_trivial_predictor_is_the_context_mean(exp):
    xc = torch.zeros(1, 2, 1)
    yc = torch.tensor([[[1.0], [3.0]]])  # mean 2, std 1
    yt = torch.tensor([[[1.0], [3.0], [2.0], [5.0]]])
    m = exp.trivial_predictor([(xc, yc, torch.zeros(1, 4, 1), yt)])
    assert m["ctx_mse"] == pytest.approx(1.0)
    assert m["heldout_mse"] == pytest.approx((0 + 9) / 2)
    assert m["ctx_nll"] == pytest.approx(0.5 * math.log(2 * math.pi) + 0.5)
    yt_flat = torch.tensor([[[1.0], [1.0], [2.0], [5.0]]])  # a flat context: std 0 -> floor 0.1
    flat = exp.trivial_predictor([(xc, yt_flat[:, :2], torch.zeros(1, 4, 1), yt_flat)])
    assert flat["ctx_nll"] == pytest.approx(0.5 * math.log(2 * math.pi) + math.log(0.1))


def test_first_reaching_uses_the_moving_average(exp):
    np.testing.assert_allclose(exp.smooth([3.0, 0.0, 3.0, 0.0]), [2.0, 2.0, 1.0, 1.0])
    assert exp.first_reaching([3.0, 0.0, 3.0, 0.0], 1.0) == 2  # the raw dip at 1 is noise
    assert exp.first_reaching([1.0, 1.0], 0.5) == -1


def test_uniform_attention_weights_give_the_mean(exp):
    """Zero queries -> equal softmax weights -> the NP's mean aggregator."""
    g = torch.Generator().manual_seed(0)
    k, v = torch.randn(2, 7, 4, generator=g), torch.randn(2, 7, 5, generator=g)
    out = exp.dot_product_attention(torch.zeros(2, 3, 4), k, v)
    torch.testing.assert_close(out, exp.uniform_attention(v, 3))
    torch.testing.assert_close(out, v.mean(1, keepdim=True).expand(-1, 3, -1))


def test_multihead_with_zero_queries_is_mean_of_projected_values(exp):
    torch.manual_seed(0)
    att = exp.NeuralProcess(16, 4, "multihead").attend
    torch.nn.init.zeros_(att.wq.weight)
    q, k, v = torch.randn(2, 3, 16), torch.randn(2, 7, 16), torch.randn(2, 7, 16)
    with torch.no_grad():
        out = att(q, k, v)
        expected = exp.uniform_attention(att.wo(att.wv(v)), 3)
    torch.testing.assert_close(out, expected)


def test_uniform_control_model_is_an_np(exp):
    """With attention="uniform" the deterministic path ignores the targets' x: r* is one vector."""
    torch.manual_seed(0)
    m = exp.NeuralProcess(16, 4, "uniform")
    r = m.r_star(torch.randn(2, 5, 1), torch.randn(2, 5, 1), torch.randn(2, 9, 1))
    torch.testing.assert_close(r, r[:, :1].expand_as(r))


def test_init_is_tensorflows(exp):
    torch.manual_seed(0)
    m = exp.NeuralProcess(64, 8, "multihead").requires_grad_(False)
    lin = m.det_mlp[2]
    bound = math.sqrt(6 / (64 + 64))
    assert float(lin.weight.abs().max()) <= bound and float(lin.weight.std()) > 0.8 * bound / 3**0.5
    assert all(float(mod.bias.abs().max()) == 0 for mod in m.modules()
               if isinstance(mod, torch.nn.Linear) and mod.bias is not None)  # fmt: skip
    assert float(m.attend.wq.weight.std()) == pytest.approx(64**-0.5, rel=0.1)


def test_attention_and_model_shapes(exp):
    torch.manual_seed(0)
    B, n_c, n_t, d, S = 3, 5, 9, 16, 4
    xc, yc, xt = torch.randn(B, n_c, 1), torch.randn(B, n_c, 1), torch.randn(B, n_t, 1)
    for attention in ("uniform", "multihead"):
        m = exp.NeuralProcess(d, 4, attention)
        assert m.attend(
            torch.randn(B, n_t, d), torch.randn(B, n_c, d), torch.randn(B, n_c, d)
        ).shape == (B, n_t, d)
        r = m.r_star(xc, yc, xt)
        mu_z, s_z = m.q_z(xc, yc)
        assert r.shape == (B, n_t, d) and mu_z.shape == s_z.shape == (B, d)
        assert bool((s_z > 0.1).all())
        mu, sigma = m.decode(r, torch.randn(S, B, d), xt)
        assert mu.shape == sigma.shape == (S, B, n_t) and bool((sigma > 0.1).all())
        assert m.decode(r, mu_z, xt)[0].shape == (B, n_t)


def test_gp_sampler_covariance_matches_kernel(exp):
    g = torch.Generator().manual_seed(0)
    n = 20_000
    x = torch.tensor([-1.5, -0.3, 0.0, 0.2, 1.7]).expand(n, -1)
    ell, sigma_f = torch.full((n,), 0.5), torch.full((n,), 0.8)
    y = exp.sample_gp(x, ell, sigma_f, 0.02, g).double()  # [n, 5]
    emp = y.T @ y / n  # zero-mean GP
    K = exp.se_kernel(x[:1].double(), ell[:1].double(), sigma_f[:1].double(), 0.02)[0]
    assert K[0, 1] == pytest.approx(0.64 * math.exp(-0.5 * (1.2 / 0.5) ** 2), abs=1e-6)
    torch.testing.assert_close(emp, K, atol=0.03, rtol=0)


def test_train_batch_targets_include_contexts(exp):
    cfg = exp.Config.quick()
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        xc, yc, xt, yt = exp.train_batch(cfg, g)
        n_c, n_t = xc.shape[1], xt.shape[1]
        assert cfg.min_context <= n_c <= n_t < cfg.max_points
        assert xc.shape == (cfg.batch_size, n_c, 1) and yt.shape == xt.shape
        assert torch.equal(xt[:, :n_c], xc) and torch.equal(yt[:, :n_c], yc)
        assert bool((xt.abs() <= 2).all())


def test_gaussian_logpdf_and_kl(exp):
    y, mu, s = torch.tensor([0.3, -1.0]), torch.tensor([0.0, 0.5]), torch.tensor([0.7, 1.3])
    torch.testing.assert_close(
        exp.gauss_logpdf(y, mu, s), torch.distributions.Normal(mu, s).log_prob(y)
    )
    mu0, s0 = torch.tensor([[0.1, -0.2]]), torch.tensor([[0.5, 2.0]])
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, s), torch.distributions.Normal(mu0, s0)
    ).sum(-1)
    torch.testing.assert_close(exp.kl_gauss(mu[None], s[None], mu0, s0), ref)
    assert float(exp.kl_gauss(mu, s, mu, s)) == pytest.approx(0.0, abs=1e-7)


# ---------------------------------------------------------------------------------------------
# full mode (the published seeds)


@pytest.fixture(scope="module")
def full(exp):
    return {seed: run_mode(exp, seed, "full") for seed in (0, 1, 2)}


@pytest.mark.slow
@pytest.mark.parametrize("seed", (0, 1, 2))
def test_full_claims_hold(exp, full, seed):
    assert full[seed]["mode"] == "full"
    assert failed_claims(exp, full[seed]) == []


@pytest.mark.slow
def test_full_panels_draw(exp, full):
    runs = [full[s] for s in (0, 1, 2)]
    assert draw_panels(exp, runs[0], runs) == 4
