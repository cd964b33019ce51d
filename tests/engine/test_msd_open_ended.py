"""An open-ended MultiWindowMSD (no n_samples: levels added as it grows) equals one
pre-sized for the whole run, bitwise, and survives a checkpoint round trip while
growing (the adaptive protocol's exact continuation rests on this)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ionmd.engine.msd import MultiWindowMSD


def _walk(n_samples: int, n_atoms: int = 7, seed: int = 3) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(n_samples, n_atoms, 3))
    return torch.as_tensor(np.cumsum(steps, axis=0))


def _make(n_samples: int | None, block: int) -> MultiWindowMSD:
    idx = torch.tensor([0, 0, 0, 1, 1, 1, 1])
    mobile = torch.tensor([True, True, False, True, False, True, False])
    return MultiWindowMSD(
        system_idx=idx,
        mobile_mask=mobile,
        n_systems=2,
        stride_steps=5,
        n_samples=n_samples,
        block_size=block,
    )


@pytest.mark.parametrize(("n", "block"), [(1, 10), (10, 10), (11, 10), (101, 10), (400, 3)])
def test_open_ended_equals_presized(n: int, block: int) -> None:
    walk = _walk(n)
    fixed, grown = _make(n, block), _make(None, block)
    for x in walk:
        fixed.sample(x)
        grown.sample(x)
    assert grown.K == fixed.K
    a, b = fixed.result(), grown.result()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_growth_across_a_checkpoint() -> None:
    walk = _walk(250)
    ref, first = _make(250, 4), _make(None, 4)
    for x in walk:
        ref.sample(x)
    for x in walk[:70]:
        first.sample(x)
    second = _make(None, 4)
    second.load_state_dict(first.state_dict())
    for x in walk[70:]:
        second.sample(x)
    a, b = ref.result(), second.result()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
