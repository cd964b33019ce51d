"""The progress display: plain lines without a terminal (no ``\\r`` redraws in a
log), the step it stopped at after an interrupt (not 100 %), and a rate and ETA
that count only this process's steps after a resume."""

from __future__ import annotations

import pytest

from ionmd.engine import progress as progress_mod
from ionmd.engine.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(progress_mod.time, "perf_counter", c)
    return c


def test_without_a_terminal_plain_lines_and_where_it_stopped(capsys, clock):
    p = Progress(total_steps=1000, timestep_fs=2.0, label="MD", line_every_s=60.0)
    p.update(0)
    for step in range(1, 401):
        clock.t += 0.5  # 200 s in all: three lines at 60, 120, 180 s
        p.update(step)
    p.close()  # interrupted at step 400
    err = capsys.readouterr().err
    assert "\r" not in err  # before: tqdm's redraws, one endless line in a log
    lines = err.splitlines()
    assert len(lines) == 4, lines
    assert lines[-1].startswith("MD: 400/1,000 steps (40 %)"), lines[-1]
    assert "stopped here" in lines[-1]  # before: the bar jumped to 1000/1000


def test_resumed_run_rate_and_eta_count_this_process_only(capsys, clock):
    """Resumed at step 1000 of 2000, then 100 steps in 10 s: 10 steps/s, so
    ETA 90 s and 10 × 2 fs/s = 1.728 ns/day (before: the 1000 steps of the
    run before counted too, 11 × the rate)."""
    p = Progress(total_steps=2000, timestep_fs=2.0, line_every_s=0.0)
    p.update(1000)
    clock.t += 10.0
    p.update(1100)
    line = capsys.readouterr().err.splitlines()[-1]
    assert "1,100/2,000 steps (55 %)" in line
    assert "1.73 ns/day" in line and "ETA 0:01:30" in line, line


def test_on_a_terminal_the_bar_stops_where_the_run_stopped(monkeypatch, clock):
    monkeypatch.setattr(progress_mod, "_interactive", lambda: True)
    p = Progress(total_steps=500, timestep_fs=2.0)
    p.update(100)  # resumed here
    clock.t += 5.0
    p.update(250)
    bar = p._bar
    assert bar.initial == 100  # tqdm's rate counts from the resume
    p.close()
    assert bar.n == 250  # not 500


def test_disabled_shows_nothing(capsys):
    p = Progress(total_steps=10, enabled=False)
    p.update(5)
    p.close()
    assert capsys.readouterr().err == ""


def test_a_log_line_during_the_bar_is_a_line_of_its_own(monkeypatch, clock):
    # found by a hostile NPT test: "ionmd: NPT stage: 1 systems, 300 steps" ran
    # on after the bar's "…, 14.6 ns/day]" on the same terminal line
    import io
    import logging

    from ionmd import log as ionmd_log

    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(progress_mod, "_interactive", lambda: True)
    root = logging.getLogger(ionmd_log.ROOT)
    saved = (list(root.handlers), root.level, root.propagate)
    try:
        root.handlers.clear()
        ionmd_log.configure()
        p = Progress(total_steps=500, timestep_fs=2.0, label="MD")
        p.update(0)
        clock.t += 5.0
        p.update(250)
        ionmd_log.get_logger("ionmd.cells.npt").info("NPT stage: 1 systems, 300 steps")
        clock.t += 5.0
        p.update(300)
        p.close()
    finally:
        root.handlers[:], root.level, root.propagate = saved
    pieces = err.getvalue().replace("\r", "\n").split("\n")
    assert "ionmd: NPT stage: 1 systems, 300 steps" in pieces, pieces
    assert pieces[-2].startswith("MD: ") and "300/500" in pieces[-2]  # drawn again
