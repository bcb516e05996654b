"""Randomized Automatic Differentiation (Oktay et al. 2020): estimator, memory and quick runs."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from exp_helpers import (
    assert_same_result,
    draw_panels,
    failed_claims,
    load,
    run_control,
    run_mode,
    still_holding,
)

SLUG = "oktay-2020-randomized-autodiff"
SEEDS = (0, 1)
CONTROL_SEED = 0


@pytest.fixture(scope="module")
def rad():
    return load(SLUG)


@pytest.fixture(scope="module")
def control_results(rad):
    """Each declared control's quick run on CONTROL_SEED, run once and shared."""
    torch.set_num_threads(1)
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = run_control(rad, name, CONTROL_SEED)
        return cache[name]

    return get


@pytest.fixture(scope="module")
def quick_results(rad):
    torch.set_num_threads(1)
    return {seed: run_mode(rad, seed, "quick") for seed in SEEDS}


def tiny_net(rad, sizes=(5, 7, 6, 3), B=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = rad.init_params(list(sizes), g, "cpu")
    x = torch.randn(B, sizes[0], generator=g)
    y = torch.randint(sizes[-1], (B,), generator=g)
    return params, x, y


def all_grads(params, loss):
    return torch.autograd.grad(loss, [t for pair in params for t in pair])


# ---- unit tests: the estimator against the exact answer ---------------------------------------


@pytest.mark.parametrize("mode", ["diff", "same", "proj", "norescale", "exact"])
def test_keep_fraction_one_equals_autograd_exactly(rad, mode):
    params, x, y = tiny_net(rad)
    exact = all_grads(params, F.cross_entropy(rad.forward_plain(params, x), y))
    r = rad.Rad(mode, 1.0, torch.Generator().manual_seed(1))
    mine = all_grads(params, F.cross_entropy(rad.forward(params, x, r), y))
    for a, b in zip(exact, mine, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("mode", ["diff", "same", "proj"])
def test_input_gradient_stays_exact_at_low_keep(rad, mode):
    """Only dL/dW is randomized: dL/db (built from the backpropagated deltas) is exact."""
    params, x, y = tiny_net(rad)
    exact = all_grads(params, F.cross_entropy(rad.forward_plain(params, x), y))
    r = rad.Rad(mode, 0.3, torch.Generator().manual_seed(1))
    mine = all_grads(params, F.cross_entropy(rad.forward(params, x, r), y))
    for i in range(len(params)):
        torch.testing.assert_close(mine[2 * i + 1], exact[2 * i + 1], rtol=1e-5, atol=1e-7)
        assert not torch.allclose(mine[2 * i], exact[2 * i])  # the weight gradient is random


@pytest.mark.parametrize("mode", ["diff", "same", "proj"])
def test_mean_of_draws_approaches_exact_gradient(rad, mode):
    params, x, y = tiny_net(rad, sizes=(12, 24, 24, 5), B=16)
    g = rad.weight_grad(params, x, y, None, plain=True)
    r = rad.Rad(mode, 0.3, torch.Generator().manual_seed(2))
    s = rad.draw_stats(lambda: rad.weight_grad(params, x, y, r), g, 1000)
    # ||mean - g||^2 is just the variance of the mean (T ~ 1), no bias on top; the band is wide
    # because a net this small has few, and for "same" strongly correlated, coordinates
    assert 0.25 < s["T"] < 4.0
    assert s["running"][-1] < 0.1 * s["running"][0]  # error of the mean shrinks like 1/sqrt(N)


def test_no_rescale_control_is_biased(rad):
    params, x, y = tiny_net(rad, sizes=(12, 24, 24, 5), B=16)
    g = rad.weight_grad(params, x, y, None, plain=True)
    r = rad.Rad("norescale", 0.3, torch.Generator().manual_seed(2))
    s = rad.draw_stats(lambda: rad.weight_grad(params, x, y, r), g, 500)
    assert s["T"] > 50
    assert s["running"][-1] > 0.5  # plateaus at the bias instead of converging


@pytest.mark.parametrize("mode", ["diff", "same", "proj"])
def test_rescale_off_makes_every_estimator_k_over_d_too_small(rad, mode):
    """The no-rescale control's switch: E[a^] = (k/d) a for sampling and projection alike."""
    a = torch.randn(4, 10, generator=torch.Generator().manual_seed(0))
    draws = [
        rad.expand_input(rad.reduce_input(a, mode, 0.3, s, rescale=False), mode, 10, s)
        for s in range(4000)
    ]
    mean = torch.stack(draws).mean(0)
    assert (mean - 0.3 * a).abs().max() < 0.05 * a.abs().max()


@pytest.mark.parametrize("mode", ["diff", "same", "proj"])
def test_reduced_input_expands_to_unbiased_estimate(rad, mode):
    a = torch.randn(4, 10, generator=torch.Generator().manual_seed(0))
    draws = [rad.expand_input(rad.reduce_input(a, mode, 0.3, s), mode, 10, s) for s in range(4000)]
    mean = torch.stack(draws).mean(0)
    assert rad.reduce_input(a, mode, 0.3, 0).shape == (4, 3)  # k = ceil(0.3 * 10)
    assert (mean - a).abs().max() < 0.15 * a.abs().max()


# ---- unit tests: the 1-bit ReLU and the memory accounting ------------------------------------


@pytest.mark.parametrize("shape", [(1,), (7,), (8,), (9,), (3, 5, 7), (150, 256)])
def test_bit_packed_mask_round_trips(rad, shape):
    mask = torch.rand(shape, generator=torch.Generator().manual_seed(0)) > 0.5
    packed = rad.pack_bits(mask)
    assert packed.dtype == torch.uint8 and packed.numel() == math.ceil(mask.numel() / 8)
    assert torch.equal(rad.unpack_bits(packed, mask.numel()).view(shape), mask)


def test_bit_relu_matches_relu(rad):
    h = torch.randn(6, 13, generator=torch.Generator().manual_seed(0), requires_grad=True)
    w = torch.randn(6, 13, generator=torch.Generator().manual_seed(1))
    (ga,) = torch.autograd.grad((rad.BitReLU.apply(h) * w).sum(), h)
    (gb,) = torch.autograd.grad((F.relu(h) * w).sum(), h)
    assert torch.equal(rad.BitReLU.apply(h), F.relu(h)) and torch.equal(ga, gb)


def test_saved_bytes_match_hand_count(rad):
    B, sizes = 150, [64, 256, 256, 256, 10]
    params = rad.init_params(sizes, torch.Generator().manual_seed(0), "cpu")
    x = torch.randn(B, 64)
    exact = rad.saved_bytes(lambda: rad.forward(params, x, None), params)
    assert exact == {"act": B * (64 + 3 * 256) * 4, "mask": B * 3 * 256 // 8}
    for mode in ("diff", "same", "proj"):
        r = rad.Rad(mode, 0.1, torch.Generator().manual_seed(0))
        low = rad.saved_bytes(lambda r=r: rad.forward(params, x, r), params)
        assert low == {"act": B * (7 + 3 * 26) * 4, "mask": B * 3 * 256 // 8}  # k = ceil(p d)
    plain = rad.saved_bytes(lambda: rad.forward_plain(params, x), params)
    assert plain["act"] > sum(exact.values())  # stock ReLU keeps fp32 outputs
    fp32 = rad.saved_bytes(lambda: rad.forward(params, x, None, relu_bits=32), params)
    assert fp32 == {"act": B * (64 + 3 * 256 + 3 * 256) * 4, "mask": 0}  # official: ReLU input


def test_float_relu_matches_relu(rad):
    h = torch.randn(6, 13, generator=torch.Generator().manual_seed(0), requires_grad=True)
    w = torch.randn(6, 13, generator=torch.Generator().manual_seed(1))
    (ga,) = torch.autograd.grad((rad.FloatReLU.apply(h) * w).sum(), h)
    (gb,) = torch.autograd.grad((F.relu(h) * w).sum(), h)
    assert torch.equal(rad.FloatReLU.apply(h), F.relu(h)) and torch.equal(ga, gb)


# ---- the experiment: quick runs for several seeds, the full run marked slow -----------------


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_claims_hold(rad, quick_results, seed):
    result = quick_results[seed]
    assert result["mode"] == "quick"
    assert failed_claims(rad, result) == []


def test_quick_matched_batches_are_measured(rad, quick_results):
    m = quick_results[0]["memory"]
    for bits, expect in ((1, 19), (32, 79)):  # 12.7 % and 53.3 % of exact backprop's bytes
        acc = m[f"relu{bits}"]
        assert acc["b_small"] == math.floor(150 * acc["keep_total"] / acc["exact_total"]) == expect
    assert quick_results[0]["b_small"] == 19
    assert quick_results[0]["train"]["small_batch_fp32"]["batch"] == 79


def test_every_claim_is_targeted_by_a_control(rad, quick_results):
    targeted = {i for c in rad.CONTROLS for i in c.breaks}
    ids = {c.id for c in rad.claims(quick_results[0])}
    assert targeted <= ids
    assert ids - targeted == {"variance-cost"}  # the expected cost: no control removes it


@pytest.mark.parametrize("name", ["untrained", "no-rescale", "fp32-relu"])
def test_control_breaks_its_claims(rad, control_results, name):
    assert still_holding(rad, name, control_results(name)) == []


def test_adam_hides_the_bias_that_sgd_shows(rad, control_results):
    """Why the SGD claim exists: without the rescale Adam still wins, SGD does not."""
    held = {c.id: c.holds for c in rad.claims(control_results("no-rescale"))}
    assert held["adam-equal-memory"] and not held["sgd-equal-memory"]


def test_panels_draw(rad, quick_results):
    runs = [quick_results[s] for s in SEEDS]
    assert draw_panels(rad, quick_results[0], runs) == 4


def test_same_seed_same_result(rad):
    small = dict(n_draws=10, n_var_draws=5, n_steps=20, eval_every=10, decay_every=10)
    a, b = run_mode(rad, 5, "quick", **small), run_mode(rad, 5, "quick", **small)
    assert_same_result(a, b)
    c = run_mode(rad, 6, "quick", **small)
    assert not np.array_equal(a["train"]["rad_diff"]["loss"], c["train"]["rad_diff"]["loss"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_claims_hold(rad, seed):
    torch.set_num_threads(1)
    result = run_mode(rad, seed, "full")
    assert result["mode"] == "full"
    assert failed_claims(rad, result) == []
