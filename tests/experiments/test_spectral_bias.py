"""Rahaman et al. 2019, spectral bias: the Fourier measure, the batched MLP, quick and full runs."""

import numpy as np
import pytest
import torch

from exp_helpers import assert_same_result, draw_panels, failed_claims, load, run_mode

SLUG = "rahaman-2019-spectral-bias"
SEEDS = (0, 1, 2, 3)


@pytest.fixture(scope="module")
def sb():
    return load(SLUG)


@pytest.fixture(scope="module")
def quick(sb):
    return {seed: run_mode(sb, seed, "quick") for seed in SEEDS}


# --- the spectral measure --------------------------------------------------------------------


def test_fourier_recovers_known_amplitudes_exactly(sb):
    K = np.array(sb.Config().freqs)
    A = np.linspace(0.3, 2.1, len(K))
    phi = np.random.default_rng(0).random((2, len(K)))
    t = np.arange(200) / 200
    y = sb.target(t, K, A, phi)  # [2, 200]
    np.testing.assert_allclose(np.abs(sb.fourier(y, K)), np.tile(A, (2, 1)), atol=1e-12)
    # the phase comes back too: sin(2πkt + 2πφ) has coefficient -i·exp(2πiφ)
    np.testing.assert_allclose(sb.fourier(y, K), -1j * A * np.exp(2j * np.pi * phi), atol=1e-12)


def test_output_equal_to_target_scores_one_at_every_k(sb):
    cfg = sb.Config()
    K, t = np.array(cfg.freqs), np.arange(cfg.n_points) / cfg.n_points
    for case in sb.CASES:
        A = cfg.amplitudes(case)
        y = sb.target(t, K, A, np.random.default_rng(1).random((3, len(K))))
        np.testing.assert_allclose(sb.spectral_amplitude(y, K, A), 1.0, atol=1e-12)


def test_measure_has_no_leakage_between_frequencies(sb):
    """A single sinusoid at k = 15 scores 1 there and 0 at every other k (negative control)."""
    K, t = np.array(sb.Config().freqs), np.arange(200) / 200
    amp = sb.spectral_amplitude(np.sin(2 * np.pi * 15 * t + 0.7), K, np.ones(len(K)))
    np.testing.assert_allclose(amp, (K == 15).astype(float), atol=1e-12)
    assert np.all(sb.spectral_amplitude(np.full(200, 3.0), K, np.ones(len(K))) < 1e-12)


def test_amplitude_cases(sb):
    cfg = sb.Config()
    np.testing.assert_array_equal(cfg.amplitudes("equal"), np.ones(10))
    np.testing.assert_allclose(cfg.amplitudes("increasing"), np.arange(1, 11) / 10)


def test_first_crossing_and_spearman(sb):
    its = np.array([0, 10, 20, 30])
    amp = np.array([[0.0, 0.0, 0.0], [0.6, 0.1, 0.0], [0.9, 0.5, 0.0], [1.0, 0.7, 0.4]])
    assert sb.first_crossing(amp, its) == [10, 20, None]
    assert sb.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert sb.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


# --- the batched model -----------------------------------------------------------------------


def test_batched_mlp_equals_separate_nn_sequential(sb):
    gen = torch.Generator().manual_seed(0)
    params = sb.init_mlp(3, 16, 4, gen)
    for W, b in params:  # nn.Linear's default distribution U(±1/√fan_in)
        bound = W.shape[1] ** -0.5
        assert W.abs().max() <= bound and b.abs().max() <= bound
    x = torch.rand(3, 50, 1, generator=gen)
    f = sb.mlp(params, x)  # [3, 50, 1]
    for r in range(3):
        layers = []
        for i, (W, b) in enumerate(params):
            lin = torch.nn.Linear(W.shape[1], W.shape[2])
            lin.weight.data, lin.bias.data = W[r].T.clone(), b[r, 0].clone()
            layers += [lin, torch.nn.ReLU()] if i < len(params) - 1 else [lin]
        torch.testing.assert_close(f[r], torch.nn.Sequential(*layers)(x[r]))


def test_summed_loss_keeps_runs_independent(sb):
    """Gradient of the summed per-run MSE w.r.t. run 0 equals that of run 0's MSE alone."""
    params = sb.init_mlp(2, 8, 3, torch.Generator().manual_seed(1))
    params = [(W.requires_grad_(), b.requires_grad_()) for W, b in params]
    x, y = torch.rand(2, 20, 1), torch.rand(2, 20, 1)
    mse = ((sb.mlp(params, x) - y) ** 2).mean(dim=(1, 2))
    g_sum = torch.autograd.grad(mse.sum(), params[0][0], retain_graph=True)[0]
    g_one = torch.autograd.grad(mse[0], params[0][0])[0]
    torch.testing.assert_close(g_sum[0], g_one[0])


# --- quick runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_claims_hold(sb, quick, seed):
    assert failed_claims(sb, quick[seed]) == []


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_result_shape(sb, quick, seed):
    r = quick[seed]
    assert r["mode"] == "quick"
    T = len(r["its"])
    assert r["amp_equal"].shape == r["amp_increasing"].shape == (T, 10)
    assert r["robust"].shape == (11, 10)
    np.testing.assert_allclose(r["robust"][0], 1.0, atol=1e-5)  # δ = 0 keeps everything


def test_quick_panels_draw(sb, quick):
    assert draw_panels(sb, quick[0]) == 4


def test_caveat_is_stated(sb):
    assert "60,000" in sb.CAVEAT and "never converge" in sb.CAVEAT


def test_same_seed_same_result(sb):
    small = dict(n_iters=60, n_perturb=3, n_perturb_samples=4)
    a, b = run_mode(sb, 5, "quick", **small), run_mode(sb, 5, "quick", **small)
    assert_same_result(a, b)
    assert not np.array_equal(a["target_equal"], run_mode(sb, 6, "quick", **small)["target_equal"])


# --- full run --------------------------------------------------------------------------------


@pytest.mark.slow
def test_full_claims_hold(sb):
    result = run_mode(sb, 0, "full")
    assert result["mode"] == "full"
    assert failed_claims(sb, result) == []
