"""The engine's run file (HDF5) broken at the byte level and at the structure level,
through ``ionmd.fileformat`` and the analysis reader; run configurations (TOML)
broken by hypothesis and by the named hostile values."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionmd.analysis.readers.h5 import read_run_file
from ionmd.campaign.config import config_from_mapping, load_config
from ionmd.errors import InputError
from ionmd.fileformat import (
    RunFileWriter,
    SystemInfo,
    SystemUpdate,
    list_systems,
    read_system,
)
from tests.robustness.mutate import GARBAGE_NUMBERS, broken, broken_text, check_clean

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples every run (CI); vary by hand
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _run_file(path, n_frames=8):
    w = RunFileWriter(path)
    info = SystemInfo(
        key="li3n_800K",
        material_id="li3n",
        formula="Li3N",
        temperature_K=800.0,
        timestep_fs=2.0,
        steps_total=10 * n_frames,
        equilibration_steps=0,
        sample_every_steps=10,
        cell=np.diag([6.0, 6.0, 7.0]),
        species=("Li", "Li", "Li", "N"),
    )
    w.create_systems([info])
    rng = np.random.default_rng(0)
    w.write(
        [
            SystemUpdate(
                key=info.key,
                positions=np.cumsum(rng.normal(0, 0.1, (n_frames, 3, 3)), axis=0),
                position_steps=np.arange(n_frames) * 10,
                msd={
                    "lag_steps": np.array([10, 20]),
                    "lag_ps": np.array([0.02, 0.04]),
                    "mobile_A2": np.array([0.1, 0.2]),
                    "framework_A2": np.array([0.01, 0.01]),
                    "collective_A2": np.array([0.3, 0.5]),
                    "n_origins": np.array([7, 6]),
                },
                steps_done=10 * n_frames,
                status="done",
            )
        ]
    )
    return path


@pytest.fixture(scope="module")
def run_bytes(tmp_path_factory) -> bytes:
    return _run_file(tmp_path_factory.mktemp("h5") / "md.h5").read_bytes()


def _read_all(path):
    keys = list_systems(path)
    for k in keys:
        read_system(path, k)
    return keys


@FUZZ
@given(data=st.data())
def test_fuzz_run_file_bytes(tmp_path, run_bytes, data):
    raw, what = data.draw(broken(run_bytes, max_ops=2))
    p = tmp_path / "md.h5"
    p.write_bytes(raw)
    check_clean(lambda: _read_all(p), what=what)
    status, got = check_clean(lambda: read_run_file(p), what=what)
    if status == "ok":
        for t in got[0]:
            assert np.all(np.isfinite(t.positions_A))


_STRUCTURAL = [
    ("delete", "particles/li3n_800K/position/value"),
    ("delete", "particles/li3n_800K/position/step"),
    ("delete", "particles/li3n_800K/species"),
    ("delete", "msd/li3n_800K"),
    ("delete", "observables/li3n_800K"),
    ("delete", "particles/li3n_800K"),
    ("delete", "parameters"),
    ("attr", "temperature_K"),
    ("attr", "cell"),
    ("attr", "n_frames_valid"),
    ("attr", "timestep_fs"),
    ("attr", "n_atoms"),
    ("attr", "status"),
    ("nan", "particles/li3n_800K/position/value"),
    ("nan", "particles/li3n_800K/position/time"),
]


@settings(FUZZ, max_examples=60)
@given(
    op=st.sampled_from(_STRUCTURAL),
    value=st.sampled_from(
        [np.nan, -1.0, 0.0, 1e308, -5, 10**9, "abc", np.zeros(2), b"\xff"]
    ),
)
def test_fuzz_run_file_structure(tmp_path, op, value):
    """A valid file whose groups, attributes or data are removed or replaced."""
    p = _run_file(tmp_path / "md.h5")
    kind, where = op
    with h5py.File(p, "a") as f:
        if kind == "delete" and where in f:
            del f[where]
        elif kind == "attr":
            g = f["parameters/li3n_800K"]
            if where in g.attrs:
                del g.attrs[where]
            g.attrs[where] = value
        elif kind == "nan":
            ds = f[where]
            ds[0] = np.nan
    what = f"{kind} {where} = {value!r}"
    check_clean(lambda: _read_all(p), what=what)
    status, got = check_clean(lambda: read_run_file(p), what=what)
    if status == "ok":
        for t in got[0]:
            assert np.all(np.isfinite(t.positions_A)), what
            assert t.temperature_K > 0 and np.isfinite(t.temperature_K), what


@pytest.mark.parametrize("data", [b"", b"\0" * 4096, b"\x89HDF\r\n\x1a\n"])
def test_empty_and_stub_run_files(tmp_path, data):
    p = tmp_path / "md.h5"
    p.write_bytes(data)
    with pytest.raises(InputError):
        read_run_file(p)


# --------------------------------------------------------------------------- config
VALID_TOML = b"""materials = ["builtin:alpha-Li3N"]
model = "lj"
temperatures_K = [800, 1000]
timestep_fs = 2.0
duration_ps = 1.0
equilibration_ps = 0.1
min_cell_length_A = 10.0
seed = 0
out = "run"
"""


@settings(FUZZ, max_examples=80)
@given(case=broken_text(VALID_TOML))
def test_fuzz_config_toml(tmp_path, case):
    data, what = case
    p = tmp_path / "run.toml"
    p.write_bytes(data)
    status, cfg = check_clean(lambda: load_config(p), what=what)
    if status == "ok":
        assert all(0 < t <= 5000 for t in cfg.temperatures_K), what
        assert 0.05 <= cfg.timestep_fs <= 10, what
        assert cfg.duration_ps > cfg.equilibration_ps >= 0, what
        assert np.isfinite(cfg.duration_ps) and cfg.n_steps > 0, what
        assert cfg.min_cell_length_A <= 1e3, what


@settings(FUZZ, max_examples=80)
@given(
    key=st.sampled_from(
        [
            "temperatures_K",
            "timestep_fs",
            "duration_ps",
            "equilibration_ps",
            "min_cell_length_A",
            "seed",
            "out",
            "materials",
            "msd_block_size",
            "flush_every_ps",
            "flush_every_s",
            "sample_every_fs",
            "chain_length",
            "thermostat_tau_fs",
            "max_atoms_per_batch",
            "device",
            "model",
        ]
    ),
    value=st.one_of(
        st.sampled_from([v.decode() for v in GARBAGE_NUMBERS]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**20), 10**20),
        st.lists(st.floats(), max_size=3),
        st.booleans(),
        st.none(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
)
def test_fuzz_config_values(key, value):
    """Any value of any type for any key: a config or a one-line InputError."""
    check_clean(lambda: config_from_mapping({key: value}), what=f"{key} = {value!r}")


@pytest.mark.parametrize(
    "toml, match",
    [
        ("temperatur_K = [800]", "did you mean 'temperatures_K'"),
        ("timestep = 2.0", "did you mean 'timestep_fs'"),
        ("temperatures_K = [-300]", "positive"),
        ("temperatures_K = [0]", "positive"),
        ("temperatures_K = []", "empty"),
        ("timestep_fs = 0", "out of range"),
        ("timestep_fs = 50", "out of range"),
        ("timestep_fs = -2", "out of range"),
        ("duration_ps = nan", "duration_ps"),
        ("duration_ps = inf", "duration_ps"),
        ("min_cell_length_A = 1e6", "min_cell_length_A"),
        ("seed = -1", "seed"),
        ('out = ""', "out"),
        ("[broken", "not valid TOML"),
        # a key appended at the end of a file that sets it above: tomllib said
        # only "Cannot overwrite a value"
        ('cell = "npt"\nseed = 1\ncell = "relaxed"', "line 3: 'cell' sets a key that is"),
        ("\udcff = 1", "not valid TOML"),  # not UTF-8: one line, no NameError
    ],
)
def test_named_hostile_configs(tmp_path, toml, match):
    p = tmp_path / "run.toml"
    p.write_bytes((toml + "\n").encode("utf-8", "surrogateescape"))
    with pytest.raises(InputError, match=match):
        load_config(p)
