"""Property tests: the output-directory check and the protocol's step counts.

- ``check_output_dir`` given any string (slashes, dots, NUL, very long parts,
  existing files and symlink loops on the way) either accepts it or raises one
  single-line ``InputError``; never another exception; an accepted path is
  creatable (``mkdir`` works) unless it already is a directory.
- any accepted ``RunConfig`` has at least one step and a production phase of at
  least one frame stride and one MSD stride; everything else is ``InputError``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionmd.campaign.config import RunConfig
from ionmd.errors import InputError
from ionmd.outdir import check_output_dir

PARTS = st.one_of(
    st.sampled_from(["", ".", "..", "afile", "loop_a", "sub", "x" * 256, "y" * 200]),
    st.text(alphabet="ab.-_ \0é", min_size=1, max_size=12),
)


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(parts=st.lists(PARTS, min_size=1, max_size=30), absolute=st.booleans())
def test_fuzz_output_dir(tmp_path, parts, absolute):
    root = Path(tempfile.mkdtemp(dir=tmp_path))  # a fresh tree per example
    (root / "afile").write_text("x")
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    text = "/".join(parts)
    path = str(root / text) if absolute else text
    cwd = os.getcwd()
    os.chdir(root)
    try:
        try:
            p = check_output_dir(path)
        except InputError as exc:
            msg = str(exc)
            assert msg and "\n" not in msg and len(msg) < 600, msg
            return
        p.mkdir(parents=True, exist_ok=True)  # accepted means creatable, as callers do
        assert p.is_dir()
    finally:
        os.chdir(cwd)


FS = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 25.0, 100.0, 1000.0])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    timestep_fs=st.sampled_from([0.5, 1.0, 2.0, 5.0]),
    duration_fs=st.sampled_from([0.1, 0.9, 1.0, 2.0, 3.0, 10.0, 20.0, 50.0, 200.0]),
    equilibration_fraction=st.sampled_from([0.0, 0.2, 0.5, 0.9, 0.99, 1.0]),
    sample_every_fs=FS,
    msd_every_fs=FS,
)
def test_fuzz_protocol_step_counts(
    timestep_fs, duration_fs, equilibration_fraction, sample_every_fs, msd_every_fs
):
    try:
        cfg = RunConfig(
            timestep_fs=timestep_fs,
            duration_ps=duration_fs * 1e-3,
            equilibration_ps=duration_fs * equilibration_fraction * 1e-3,
            sample_every_fs=sample_every_fs,
            msd_every_fs=msd_every_fs,
        )
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    production = cfg.n_steps - cfg.equilibration_steps
    assert cfg.n_steps >= 1
    assert production >= cfg.sample_every_steps and production >= cfg.msd_every_steps
