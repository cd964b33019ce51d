"""What ``ionmd run`` says about the NPT stage: one line when systems enter it
(its steps, length, pressure and mode: the progress bar's total counts them on
top of the production's), one when it ends with the volume change it found (the
numbers of campaign.json's rows), none again on a resume; a blow-up says, when
it happens, that the others' stage starts again from its start (its cost).
Found by a hostile test: the only line came at the stage's end and read like a
start ("NPT stage: 1 systems, 300 steps")."""

import logging

import numpy as np
import pytest

from tests.cells.test_npt_in_loop import N_STAGE, Counting, _run, squeezed


@pytest.fixture(autouse=True)
def ionmd_logs_reach_caplog():
    """The CLI's handler (an earlier test's ``ionmd run``) stops propagation."""
    root = logging.getLogger("ionmd")
    saved = root.propagate
    root.propagate = True
    yield
    root.propagate = saved


def _npt_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "NPT stage" in r.getMessage()]


def test_a_start_line_and_a_done_line_with_the_volume_changes(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="ionmd")
    summary = _run(tmp_path / "md.h5", Counting())
    start, done = _npt_lines(caplog)
    assert start == (
        f"NPT stage: 2 systems, {N_STAGE} steps (0.4 ps at 0 GPa, isotropic), then "
        "their production at the stage's mean cell"
    )
    changes = sorted(r["volume_change_pct"] for r in summary.stage_records.values())
    assert done == (
        f"NPT stage done: 2 systems, {N_STAGE} steps; ΔV/V_exp "
        f"{changes[0]:+.2f} to {changes[1]:+.2f} %"
    )


def test_a_resumed_stage_does_not_start_again(tmp_path, caplog):
    out = tmp_path / "md.h5"
    with pytest.raises(KeyboardInterrupt):
        _run(out, Counting(), stop_after_step=17)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="ionmd")
    _run(out, Counting(), resume=True)
    (done,) = _npt_lines(caplog)
    assert done.startswith(f"NPT stage done: 2 systems, {N_STAGE} steps; ")


def test_a_blow_up_is_said_and_the_others_go_on(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="ionmd")
    model = Counting()
    summary = _run(tmp_path / "md.h5", model, systems=squeezed())
    reason = summary.failed["bad_30K"]
    assert reason.startswith("cell blew up during the NPT stage")
    messages = [r.getMessage() for r in caplog.records]
    (said,) = [m for m in messages if "go on" in m]  # when it blew up
    assert said == f"NPT stage: bad_30K: {reason}; the others (1) go on without it"
    # the other went on from where it was: one force call to start, one per step
    # (before: its stage ran again from its start after the blow-up)
    assert model.stage_calls == 40 + 1
    assert [m for m in _npt_lines(caplog) if m.startswith("NPT stage done")] == [
        "NPT stage done: 1 systems, 40 steps; ΔV/V_exp "
        + f"{summary.stage_records['ok_30K']['volume_change_pct']:+.2f} %"
    ]
    assert np.isfinite(summary.stage_records["ok_30K"]["volume_change_pct"])
