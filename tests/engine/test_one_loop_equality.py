"""A study batch's run file is the same, dataset by dataset and attribute by
attribute, as the one the two-loop engine wrote (issue 23: one MD loop).

The digests in ``tests/fixtures/one_loop/digests.json`` and the mid-run run file
and checkpoint beside them were written by the engine before the fixed batch
became a cohort of the in-flight batch (``run_batch`` with its own loop), float64
on the CPU, with the settings and systems below. Each dataset is compared by the
sha256 of its bytes, its dtype and its shape; each attribute by its repr (the
file's creation time excepted). Regenerate only on purpose:
``PYTHONPATH=$PWD python -m tests.engine.test_one_loop_equality --write``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from ionmd.engine.runner import run_batch

from .helpers import argon, quick_config, spec
from .test_faults import FaultyModel

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "one_loop"
DIGESTS = FIXTURE / "digests.json"
#: the study run file and checkpoint written mid-run (scenario "resume", killed)
MID_RUN = FIXTURE / "mid_run.h5"

#: 200 steps of 5 fs, a flush (checkpoint) every 10 steps, framework frames on
CFG = dict(
    duration_ps=1.0, equilibration_ps=0.2, flush_every_ps=0.05, framework_every_fs=100.0
)
#: attributes that differ between two runs of the same batch
VOLATILE = {"created_utc"}
#: the failing system is told apart by its atom count (FaultyModel's rule)
N_FAILING = 64
KILL_MID, KILL_LAST = 117, 190  # last checkpoint before the end: step 190


def _config():
    return quick_config(**CFG)


def _systems():
    failing = argon(2).repeat((1, 1, 2))  # 64 atoms
    return [
        spec(argon(2), 40.0, "a"),
        spec(argon(2, li_every=3), 90.0, "b"),
        spec(failing, 60.0, "bad"),
    ]


def _model():
    return FaultyModel({N_FAILING: "nan"}, after_call=30)


def _run(out: Path, **kw) -> object:
    cfg = _config()
    return run_batch(
        _systems(),
        _model(),
        md=cfg.md,
        out_path=out,
        model_name="lj",
        run_config=cfg.as_dict(),
        **kw,
    )


def _killed_then_resumed(out: Path, *, kill_at: int) -> None:
    with pytest.raises(KeyboardInterrupt):
        _run(out, stop_after_step=kill_at)
    _run(out, resume=True)


def _attr_repr(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray {value.dtype} {value.shape} {value.tolist()!r}"
    return repr(value)


def digest(path: Path) -> dict[str, dict[str, str]]:
    """``{"datasets": {name: "sha256 dtype shape"}, "attrs": {name@attr: repr}}``."""
    datasets: dict[str, str] = {}
    attrs: dict[str, str] = {}

    def visit(name: str, obj: object) -> None:
        for a, v in obj.attrs.items():  # type: ignore[attr-defined]
            if a not in VOLATILE:
                attrs[f"{name}@{a}"] = _attr_repr(v)
        if isinstance(obj, h5py.Dataset):
            data = np.ascontiguousarray(obj[()])
            raw = (  # variable-length strings: their values, not their pointers
                repr(data.tolist()).encode() if data.dtype.kind == "O" else data.tobytes()
            )
            sha = hashlib.sha256(raw).hexdigest()
            datasets[name] = f"{sha} {data.dtype} {data.shape}"

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return {"datasets": datasets, "attrs": attrs}


def scenarios(tmp: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The three run files, digested: one system failing, a kill mid-run then a
    resume, a kill right after the last checkpoint then a resume."""
    out = {}
    _run(tmp / "failing.h5")
    out["failing"] = digest(tmp / "failing.h5")
    _killed_then_resumed(tmp / "resume.h5", kill_at=KILL_MID)
    out["resume"] = digest(tmp / "resume.h5")
    _killed_then_resumed(tmp / "last.h5", kill_at=KILL_LAST)
    out["kill_after_last_checkpoint"] = digest(tmp / "last.h5")
    return out


def _assert_same(got: dict, want: dict, *, label: str) -> None:
    for part in ("datasets", "attrs"):
        g, w = got[part], want[part]
        assert sorted(g) == sorted(w), f"{label}: {part} differ in names"
        bad = [k for k in w if g[k] != w[k]]
        assert not bad, f"{label}: {part} differ: {bad[:5]}"


@pytest.fixture(scope="module")
def stored() -> dict:
    return json.loads(DIGESTS.read_text())


def test_run_files_equal_the_two_loop_engines(tmp_path, stored):
    got = scenarios(tmp_path)
    assert sorted(got) == sorted(stored["scenarios"])
    for name, want in stored["scenarios"].items():
        _assert_same(got[name], want, label=name)


def test_a_mid_run_checkpoint_of_the_old_engine_resumes_to_the_same_file(tmp_path, stored):
    """Compatibility: the run file and checkpoint the fixed-batch loop wrote at
    step 110 (killed at 117) resume under this engine to the file the old engine
    finished."""
    out = tmp_path / "resume.h5"
    shutil.copyfile(MID_RUN, out)
    shutil.copyfile(MID_RUN.with_suffix(".ckpt.pt"), out.with_suffix(".ckpt.pt"))
    _run(out, resume=True)
    _assert_same(digest(out), stored["scenarios"]["resume"], label="old checkpoint")


def _write() -> None:  # pragma: no cover - regenerates the fixture on purpose
    import tempfile

    FIXTURE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        found = scenarios(tmp_path)
        mid = tmp_path / "mid.h5"
        with pytest.raises(KeyboardInterrupt):
            _run(mid, stop_after_step=KILL_MID)
        shutil.copyfile(mid, MID_RUN)
        shutil.copyfile(mid.with_suffix(".ckpt.pt"), MID_RUN.with_suffix(".ckpt.pt"))
    DIGESTS.write_text(json.dumps({"scenarios": found}, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__" and "--write" in sys.argv:
    _write()


#: hex written by the three fingerprint sites before there was one function
#: (runner._batch_fingerprint, the adaptive loop's, the executor task's)
OLD_HEX = {
    "study": "e4902243613dadf226a82aeaa400b20919885286684472cf8b462388eb77f6fc",
    "adaptive": "5e1aeaee6c1463b49e39cdc49b15a1faec3b550a7f2378c5d2abc20fd1859244",
    "task": "c12b14ab924134ee92f7f531f46ae8552cd0825d96f62c2de29b415d9134ffdb",
}


def test_one_fingerprint_function_gives_the_old_hex():
    """Old checkpoints and finished executor tasks are still accepted: the one
    fingerprint gives each former site's hex for the same inputs."""
    from ionmd.engine.checkpoint import batch_fingerprint

    systems = [spec(argon(2), 40.0, "a"), spec(argon(2, li_every=3), 90.0, "b")]
    study = quick_config(duration_ps=0.5)
    adaptive = quick_config(
        duration_ps=0.5,
        protocol="adaptive",
        chunk_ps=0.4,
        max_duration_ps=0.8,
        temperatures_K=(900.0, 1200.0),
        min_reliable_temperatures=2,
        max_temperature_K=1200.0,
        max_atoms_per_batch=600,
    )
    same = dict(model_name="lj", model_version="v1", systems=systems)
    got = {
        "study": batch_fingerprint(protocol=study.md.fingerprint_fields(), **same),
        "adaptive": batch_fingerprint(protocol=adaptive.protocol_fingerprint(), **same),
        "task": batch_fingerprint(
            protocol=study.protocol_fingerprint(),
            checkpoint=False,
            file="out/batch_000.h5",
            **same,
        ),
    }
    assert got == OLD_HEX
