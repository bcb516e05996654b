"""Rahaman et al. 2019, spectral bias: the Fourier measure, the learning-order metrics, the batched
MLP, quick runs, the untrained control, and (slow) full runs."""

import numpy as np
import pytest
import torch

from exp_helpers import (
    assert_same_result,
    draw_panels,
    failed_claims,
    load,
    run_control,
    run_mode,
    still_holding,
)

SLUG = "rahaman-2019-spectral-bias"
SEEDS = (0, 1)
ALL_CLAIMS = {
    "low-first",
    "low-first-louder",
    "crossings-ordered",
    "louder-still-later",
    "matches-official",
    "fits",
    "robust-low",
}


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
    """A single sinusoid at k = 15 scores 1 there and 0 at every other k."""
    K, t = np.array(sb.Config().freqs), np.arange(200) / 200
    amp = sb.spectral_amplitude(np.sin(2 * np.pi * 15 * t + 0.7), K, np.ones(len(K)))
    np.testing.assert_allclose(amp, (K == 15).astype(float), atol=1e-12)
    assert np.all(sb.spectral_amplitude(np.full(200, 3.0), K, np.ones(len(K))) < 1e-12)


def test_amplitude_cases(sb):
    cfg = sb.Config()
    np.testing.assert_array_equal(cfg.amplitudes("equal"), np.ones(10))
    np.testing.assert_allclose(cfg.amplitudes("increasing"), np.arange(1, 11) / 10)


# --- the learning-order metrics on synthetic truth --------------------------------------------


def test_first_crossing_and_spearman_with_never(sb):
    its = np.array([0, 10, 20, 30])
    amp = np.array([[0.0, 0.0, 0.0], [0.6, 0.1, 0.0], [0.9, 0.5, 0.0], [1.0, 0.7, 0.4]])
    assert sb.first_crossing(amp, its) == [10, 20, None]
    assert sb.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert sb.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # None is +∞: ties at the top rank; all None (nothing learned) is no correlation at all
    assert sb.spearman([1, 2, 3], [5, None, None]) == pytest.approx(np.sqrt(3) / 2)
    assert sb.spearman([1, 2, 3], [None, None, None]) == 0.0


def test_n_ordered_counts_adjacent_pairs(sb):
    assert sb.n_ordered([1, 2, 3, 4]) == 3
    assert sb.n_ordered([1, 3, 2, None]) == 2  # 1<3, 2<never; 3>2 is out of order
    assert sb.n_ordered([None, None, None]) == 0  # never before never is not an order


def test_n_ordered_tie_tolerance(sb):
    """With tie = 0.1, k + 5 up to 10 % sooner than k is a tie; more sooner is a reversal."""
    assert sb.n_ordered([1000, 950]) == 0  # strictly: out of order
    assert sb.n_ordered([1000, 950], tie=0.1) == 1  # 5 % sooner: a tie
    assert sb.n_ordered([1000, 900], tie=0.1) == 1  # exactly 10 %: still a tie
    assert sb.n_ordered([1000, 850], tie=0.1) == 0  # 15 % sooner: a reversal
    assert sb.n_ordered([None, 5, None], tie=0.1) == 1  # never is not before anything
    # full seed 2's equal-A crossings (k = 30/35 and 45/50 within 2 % and 6 %)
    seed2 = [350, 850, 1850, 3450, 3900, 6900, 6750, 9650, 11200, 10500]
    assert (sb.n_ordered(seed2), sb.n_ordered(seed2, tie=0.1)) == (7, 9)
    assert sb.THRESHOLDS["full"].tie == sb.THRESHOLDS["quick"].tie == 0.1


def test_robust_claim_compares_k5_with_the_other_learned_k(sb):
    """Unlearned k do not enter the Sec. 4 contrast, however large their (ill-conditioned)
    ratio; fewer learned k than the floor, or k = 5 not learned, fail the claim."""
    th = sb.THRESHOLDS["quick"]
    K = np.arange(5, 55, 5)
    ret = np.array([0.9, 0.8, 0.7, 0.3, 0.3, 0.3, 0.3, 0.3, 2.0, 3.0])  # k = 45, 50: not learned
    learned = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], bool)
    s = {"K": K, "retention": ret, "learned": learned, "robust_rho": 0.0}
    c = sb.claim_robust(s, th, 0.35)
    assert c.holds and c.evidence["contrast"] == pytest.approx(0.9 / 0.75)
    flat = dict(s, retention=np.full(10, 0.8))
    assert not sb.claim_robust(flat, th, 0.35).holds  # equal retention: not more robust
    assert not sb.claim_robust(dict(s, learned=learned & (K == 5)), th, 0.35).holds
    assert not sb.claim_robust(dict(s, learned=learned & (K > 5)), th, 0.35).holds


def test_gain_removes_the_initial_spectrum(sb):
    """A spectrum that never changes gains nothing, however it decays with k (the lr = 0 trap)."""
    frozen = np.tile(np.linspace(0.9, 0.1, 10), (50, 1))  # [T, n_k], decaying but constant
    np.testing.assert_allclose(sb.learning_gain(frozen), 0.0)
    # a staircase where k_i jumps to 1 at step 5·i: earlier jump, larger gain, ρ(k, −gain) = 1
    T, K = 60, np.arange(10)
    stair = (np.arange(T)[:, None] >= 5 * (K[None, :] + 1)).astype(float)
    g = sb.learning_gain(stair)
    assert np.all(np.diff(g) < 0)
    assert sb.spearman(K, -g) == pytest.approx(1.0)


def test_staircase_scores_every_claim(sb):
    """A synthetic result with the official crossing times (and robust low k) passes every full
    claim; the same result with the spectrum frozen at its initial value passes none."""
    its = np.arange(0, 30001, 100)
    K = np.arange(5, 55, 5)

    def stair(cross):  # Ā_k rises linearly from 0.1 to 1 over 2·cross_k iterations
        return np.clip(0.1 + 0.45 * its[:, None] / np.asarray(cross)[None, :], 0, 1)

    good = {
        "mode": "full",
        "K": K,
        "trivial_mse": 5.0,
        "level": 0.5,
        "robust": np.tile(np.linspace(1.2, 0.4, 10), (11, 1)),
    }
    for case in sb.CASES:
        good[f"its_{case}"], good[f"n_iters_{case}"] = its, 30000
        good[f"amp_{case}"] = stair(sb.OFFICIAL_CROSS[case])
        good[f"loss_{case}"] = np.linspace(5.0, 0.01, len(its))
    assert failed_claims(sb, good) == []
    frozen = dict(good, robust=np.ones((11, 10)))
    for case in sb.CASES:
        frozen[f"amp_{case}"] = np.tile(good[f"amp_{case}"][0], (len(its), 1))
        frozen[f"loss_{case}"] = np.full(len(its), 5.0)
    assert {c.id for c in sb.claims(frozen) if c.holds} == set()


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


# --- quick runs and the control --------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_claims_hold(sb, quick, seed):
    assert {c.id for c in sb.claims(quick[seed])} == ALL_CLAIMS
    assert failed_claims(sb, quick[seed]) == []


def test_quick_result_shape(sb, quick):
    r = quick[0]
    assert r["mode"] == "quick"
    for case, n in zip(sb.CASES, sb.Config.quick().n_iters, strict=True):
        T = len(r[f"its_{case}"])
        assert r[f"n_iters_{case}"] == r[f"its_{case}"][-1] == n
        assert r[f"amp_{case}"].shape == (T, 10) and r[f"loss_{case}"].shape == (T,)
    assert r["robust"].shape == (11, 10)
    np.testing.assert_allclose(r["robust"][0], 1.0, atol=1e-5)  # δ = 0 keeps everything


def test_untrained_control_breaks_every_claim(sb):
    control = next(c for c in sb.CONTROLS if c.name == "untrained")
    assert set(control.breaks) == ALL_CLAIMS
    result = run_control(sb, "untrained", seed=0)
    assert still_holding(sb, "untrained", result) == []


def test_quick_panels_draw_with_runs(sb, quick):
    assert draw_panels(sb, quick[0], [quick[s] for s in SEEDS]) == 4


def test_deviations_and_caveat(sb):
    whats = {d.what for d in sb.DEVIATIONS}
    assert {"hidden width", "Adam learning rate", "training iterations", "runs per case"} <= whats
    assert "60,000" in sb.CAVEAT


def test_same_seed_same_result(sb):
    small = dict(n_iters=(60, 40), n_perturb=3, n_perturb_samples=4)
    a, b = run_mode(sb, 5, "quick", **small), run_mode(sb, 5, "quick", **small)
    assert_same_result(a, b)
    assert not np.array_equal(a["target_equal"], run_mode(sb, 6, "quick", **small)["target_equal"])


# --- full runs -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", (0, 1, 2))
def test_full_claims_hold(sb, seed):
    result = run_mode(sb, seed, "full")
    assert result["mode"] == "full"
    assert failed_claims(sb, result) == []
