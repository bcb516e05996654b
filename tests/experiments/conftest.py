"""Every experiment test runs with one torch thread (helpers: exp_helpers.py)."""

import pytest


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)
