"""Attentive Neural Processes (Kim et al. 2019): quick runs, claims, panels, and unit tests."""

import math

import numpy as np
import pytest
import torch

from mlcollage.experiment import roundtrip

from exp_helpers import assert_same_result, draw_panels, failed_claims, load, run_mode

SLUG = "kim-2019-attentive-neural-processes"
SEEDS = (0, 1, 2, 3)
# wall-clock measurements differ between two runs of the same seed; everything else must not
TIMING = {"train_time", "wall_s", "np_train_time", "anp_train_time", "anp_time_to_np_final_ctx"}


@pytest.fixture(scope="module")
def exp():
    return load(SLUG)


@pytest.fixture(scope="module")
def quick(exp):
    return {seed: run_mode(exp, seed, "quick") for seed in SEEDS}


# ---------------------------------------------------------------------------------------------
# quick runs


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_claims_hold(exp, quick, seed):
    assert quick[seed]["mode"] == "quick"
    assert failed_claims(exp, quick[seed]) == []


def test_quick_panels_draw(exp, quick):
    assert draw_panels(exp, quick[0]) == 4


def test_same_seed_same_result(exp, quick):
    assert_same_result(quick[0], run_mode(exp, 0, "quick"), skip=frozenset(TIMING))


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
    """`holds` comes from the numbers: copy the NP's metrics onto the ANP and every claim fails."""
    result = roundtrip(quick[0])
    s = result["summary"]
    for key in ("ctx_nll", "all_nll", "ctx_mse", "heldout_mse"):
        s[f"anp_{key}"] = s[f"np_{key}"]
    assert len(failed_claims(exp, result)) == len(exp.claims(result))


def test_caveat_about_heldout_nll(exp):
    assert "held-out NLL" in exp.CAVEAT and "overconfident" in exp.CAVEAT
    assert "CAVEAT" in exp.__doc__
    assert not any("held-out NLL" in c.statement for c in exp.claims(run_stub(exp)))


def run_stub(exp):
    """A minimal full-mode result for claims() alone."""
    s = {
        f"{m}_{k}": 0.5
        for m in ("np", "anp")
        for k in ("ctx_nll", "all_nll", "heldout_nll", "ctx_mse", "heldout_mse", "train_time")
    }
    s.update(it_to_np_final_ctx=100, anp_time_to_np_final_ctx=1.0)
    return {"mode": "full", "iterations": 1000, "summary": s}


# ---------------------------------------------------------------------------------------------
# unit tests


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


def test_attention_and_model_shapes(exp):
    torch.manual_seed(0)
    B, n_c, n_t, d, S = 3, 5, 9, 16, 4
    xc, yc, xt = torch.randn(B, n_c, 1), torch.randn(B, n_c, 1), torch.randn(B, n_t, 1)
    for attention in ("uniform", "multihead"):
        m = exp.NeuralProcess(d, 4, attention)
        if attention == "multihead":
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
# full mode


@pytest.mark.slow
def test_full_claims_hold(exp):
    result = run_mode(exp, 0, "full")
    assert result["mode"] == "full"
    assert failed_claims(exp, result) == []
    assert draw_panels(exp, result) == 4
