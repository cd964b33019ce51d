"""A killed NPT run resumes when its config spells a number another way: TOML's
``pressure_GPa = 0`` or ``timestep_fs = 10`` (integers) against the 0.0 default
or 10.0. Found by a hostile test: adding the default ``pressure_GPa = 0`` to a
killed run's config passed the campaign's protocol check (the values are equal)
and then the checkpoint was refused as "written with another model, protocol or
set of systems" (its fingerprint hashed JSON's "0" against "0.0"). A checkpoint
fingerprinted as the config spelled it (before the fix) still resumes, and a
real change is still refused; so is a checkpoint from before the stage ran in
the loop, saying so."""

import pytest
import torch

from ionmd.cells.settings import CellSettings
from ionmd.engine.checkpoint import batch_fingerprint
from ionmd.errors import InputError
from tests.cells.test_npt_in_loop import MD, Counting, _same_file, _systems
from tests.cells.test_npt_in_loop import _run as run_in_loop

AS_INTS = (CellSettings(cell="npt", npt_ps=0.4, pressure_GPa=0), MD.replace(timestep_fs=10))
AS_FLOATS = (CellSettings(cell="npt", npt_ps=0.4), MD)


def _run(path, settings, md, **kw):
    return run_in_loop(path, Counting(), settings=settings, md=md, **kw)


def _killed_in_the_stage(path, spelling) -> None:
    with pytest.raises(KeyboardInterrupt):
        _run(path, *spelling, stop_after_step=17)


@pytest.mark.parametrize("first, again", [(AS_INTS, AS_FLOATS), (AS_FLOATS, AS_INTS)])
def test_a_killed_stage_resumes_with_its_numbers_spelled_otherwise(tmp_path, first, again):
    assert type(first[0].pressure_GPa) is not type(again[0].pressure_GPa)
    ref = tmp_path / "ref.h5"
    _run(ref, *AS_FLOATS)
    out = tmp_path / "md.h5"
    _killed_in_the_stage(out, first)
    _run(out, *again, resume=True)
    _same_file(ref, out)


def test_a_checkpoint_fingerprinted_as_spelled_still_resumes(tmp_path):
    out = tmp_path / "md.h5"
    _killed_in_the_stage(out, AS_INTS)
    ckpt = out.with_suffix(".ckpt.pt")
    payload = torch.load(ckpt, weights_only=False)
    settings, md = AS_INTS
    protocol = md.fingerprint_fields() | {"stage": settings.fingerprint()}
    payload["fingerprint"] = batch_fingerprint(  # as the code before the fix wrote it
        protocol=protocol, model_name="lj", model_version="", systems=_systems()
    )
    torch.save(payload, ckpt)
    _run(out, *AS_INTS, resume=True)


def test_a_changed_pressure_is_still_refused(tmp_path):
    out = tmp_path / "md.h5"
    _killed_in_the_stage(out, AS_INTS)
    changed = CellSettings(cell="npt", npt_ps=0.4, pressure_GPa=0.1)
    with pytest.raises(InputError, match="another model, protocol"):
        _run(out, changed, MD, resume=True)


def test_a_checkpoint_from_before_the_stage_ran_in_the_loop_is_refused_saying_so(
    tmp_path,
):
    # found by a hostile test: a campaign killed under a70eae1 (its NPT stage a
    # pass before the MD; checkpoints with no "stage" entry) was refused as
    # "written with another model, protocol or set of systems"
    out = tmp_path / "md.h5"
    _killed_in_the_stage(out, AS_FLOATS)
    ckpt = out.with_suffix(".ckpt.pt")
    payload = torch.load(ckpt, weights_only=False)
    for key in ("stage", "stage_records"):
        del payload[key]
    payload["fingerprint"] = "0" * 64  # its systems were at their NPT cells
    torch.save(payload, ckpt)
    with pytest.raises(InputError, match="written by an older ionmd, whose NPT stage"):
        _run(out, *AS_FLOATS, resume=True)
