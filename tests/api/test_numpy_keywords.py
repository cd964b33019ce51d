"""``ionmd.run`` takes numpy scalars and arrays where the config takes numbers
(a scan over ``np.arange``/``np.linspace`` values, a DataFrame column): they
were refused as "relax_max_steps must be an integer, got np.int64(10)"."""

from __future__ import annotations

import numpy as np
import pytest

import ionmd
import ionmd.api


def test_numpy_values_are_taken_as_their_python_numbers(tmp_path, monkeypatch) -> None:
    seen = {}
    monkeypatch.setattr(ionmd.api, "run_config", lambda config, **kw: seen.update(c=config))
    ionmd.run(
        "builtin:toy-fast",
        model="lj",
        out=tmp_path / "o",
        temperatures_K=np.arange(800, 1000, 100),
        seed=np.int64(3),
        n_replicas=np.int32(2),
        duration_ps=np.float32(2.0),
        equilibration_ps=np.float64(0.5),
        cell="npt",
        npt_ps=np.float32(1.5),
        pressure_GPa=np.int64(1),
        progress=np.bool_(False),
    )
    c = seen["c"]
    assert c.temperatures_K == (800.0, 900.0)
    assert (c.seed, c.n_replicas, c.duration_ps) == (3, 2, 2.0)
    assert (c.npt_ps, c.pressure_GPa, c.progress) == (1.5, 1, False)
    assert type(c.seed) is int and type(c.progress) is bool


def test_a_numpy_value_of_the_wrong_kind_is_still_refused(tmp_path) -> None:
    with pytest.raises(ionmd.errors.InputError, match="seed must be an integer, got 1.5"):
        ionmd.run("builtin:toy-fast", model="lj", out=tmp_path / "o", seed=np.float64(1.5))
