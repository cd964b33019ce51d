"""Changed inputs between runs (issue 11) and the allow-list fingerprint
(issue 12): data in OUT are continued or reused only with the inputs they were
made from; a mismatch is refused in one line naming what changed; adding a
material leaves the finished batches of the others (and their files) alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.io import read

import ionmd.campaign.run as campaign_run
from ionmd.engine import integrator

from .tiny import (
    ionmd,
    keep_signal_handlers,  # noqa: F401  (fixture)
    one_line,
    statuses,
    write_cif,
    write_config,
)

pytestmark = pytest.mark.usefixtures("keep_signal_handlers")


class _Killed(BaseException):
    pass


def _md_done_analysis_killed(tmp_path, monkeypatch, **kw):
    """A campaign whose MD finished and whose analysis was killed."""
    cfg = write_config(tmp_path, "run", **kw)
    with monkeypatch.context() as m:

        def killed(*args, **kwargs):
            raise _Killed

        m.setattr(campaign_run, "_analyze", killed)
        with pytest.raises(_Killed):
            ionmd("run", str(cfg))
    return tmp_path / "run"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"model": "mace-tiny"}, "lj, not mace-tiny"),
        ({"temps": (30, 90)}, "lj_li_60K"),
        ({"timestep_fs": 4}, "timestep_fs 5"),
    ],
)
def test_changed_model_temperatures_or_protocol_after_the_md_is_refused(
    tmp_path, monkeypatch, capsys, change, named
):
    out = _md_done_analysis_killed(tmp_path, monkeypatch, temps=(30, 60))
    before = {p.name: p.read_bytes() for p in out.glob("md*")}
    cfg = write_config(tmp_path, "run", **{"temps": (30, 60), **change})
    capsys.readouterr()
    assert ionmd("run", str(cfg)) == 2
    line = one_line(capsys.readouterr().err)
    assert named in line and "--force" in line and "another --out" in line
    assert {p.name: p.read_bytes() for p in out.glob("md*")} == before
    assert not (out / "results.json").exists()
    # the same inputs finish the analysis
    assert ionmd("run", str(write_config(tmp_path, "run", temps=(30, 60)))) == 0
    assert json.loads((out / "campaign.json").read_text())["status"] == "done"


def test_structure_changed_between_kill_and_resume_is_refused(
    tmp_path, monkeypatch, capsys
):
    cfg = write_config(tmp_path, "run")
    real = integrator.nh_step
    calls = {"n": 0}

    def nh_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(integrator, "nh_step", nh_step)
        assert ionmd("run", str(cfg), "--no-analysis") == 130
    cif = tmp_path / "lj_li.cif"
    atoms = read(cif)
    atoms.set_cell(atoms.cell[:] * 1.02, scale_atoms=True)
    atoms.write(cif)
    capsys.readouterr()
    assert ionmd("run", str(cfg), "--no-analysis") == 2
    line = one_line(capsys.readouterr().err)
    assert "lj_li_30K" in line and "another structure of lj_li" in line
    assert statuses(tmp_path / "run") == {"lj_li_30K": "running"}


def test_adding_a_material_keeps_the_finished_batch_and_its_file(tmp_path, capsys):
    first = tmp_path / "lj_li.cif"
    write_cif(first)
    cfg = write_config(tmp_path, "run", cifs=[first])
    assert ionmd("run", str(cfg), "--no-analysis") == 0
    out = tmp_path / "run"
    kept = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.glob("md.*")}
    assert set(kept) == {"md.h5", "md.ckpt.pt"}

    second = tmp_path / "lj_li_b.cif"
    write_cif(second, a=5.30)
    cfg = write_config(tmp_path, "run", cifs=[first, second])
    capsys.readouterr()
    assert ionmd("run", str(cfg), "--no-analysis") == 0
    err = capsys.readouterr().err
    assert "already done (md.h5)" in err
    now = {p: ((out / p).read_bytes(), (out / p).stat().st_mtime_ns) for p in kept}
    assert now == kept
    assert statuses(out) == {"lj_li_30K": "done", "lj_li_b_30K": "done"}
    capsys.readouterr()
    assert ionmd("run", str(cfg), "--no-analysis") == 0  # and now it is finished:
    assert "already complete" in capsys.readouterr().err  # its results, nothing run


def test_fingerprint_is_an_allow_list_over_the_batch_itself(tmp_path):
    """The engine's and the executor's fingerprint of a batch depend on the
    protocol, the model and the batch's own systems only."""
    from ionmd.campaign.config import load_config
    from ionmd.campaign.distributed import campaign_tasks
    from ionmd.campaign.protocols import protocol_of
    from ionmd.engine.systems import SystemSpec

    write_cif(tmp_path / "lj_li.cif")
    base = load_config(write_config(tmp_path, "run"))
    atoms = read(tmp_path / "lj_li.cif").repeat((2, 2, 2))

    def spec(mid, t=30.0, a=atoms):
        return SystemSpec(material_id=mid, atoms=a, temperature_K=t, run_seed=base.seed)

    def fps(config, batches):
        tasks = campaign_tasks(
            batches,
            protocol=protocol_of(config),
            out=tmp_path / "run",
            model_name="lj",
            model_version="v",
            analyze=True,
        )
        return [t.digest() for t in tasks]

    one = fps(base, [[spec("a")]])
    # another material list, device, flush cadence: batch 0 unchanged
    more = base.replace(
        materials=("x", "y"), device="cpu", flush_every_ps=1.0, max_atoms_per_batch=7
    )
    two = fps(more, [[spec("a")], [spec("b")]])
    assert two[0] == one[0]
    assert two[-1] != one[-1]  # the analysis is redone
    moved = atoms.copy()
    moved.positions += np.array([0.01, 0.0, 0.0])
    assert fps(base, [[spec("a", a=moved)]])[0] != one[0]  # content counts
    assert fps(base.replace(timestep_fs=4.0), [[spec("a")]])[0] != one[0]
