"""Split a long AIMD run into chained segments, and tell which are done.

One SLURM job cannot hold 100 ps of AIMD, so the run is cut into segments of at
most :func:`max_steps_per_segment` steps, each a multiple of the frame stride
(``NBLOCK``) so that all XDATCAR frames fall on one grid. Segment k + 1 restarts
from segment k's CONTCAR (positions and velocities).

State of a segment, from its files:

- ``pending``: no OUTCAR/OSZICAR yet;
- ``done``: VASP finished (closing timing block in OUTCAR) after all planned steps;
- ``partial``: VASP finished cleanly but earlier (STOPCAR before the walltime);
  the next segment continues from its CONTCAR and the plan adds the missing steps;
- ``incomplete``: OUTCAR without the closing block: still running, or killed.

The steps a run has done are those of its leading ``done``/``partial`` segments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ionmd.errors import InputError
from ionmd.vasp_bridge.outcar import read_oszicar, read_outcar_summary
from ionmd.vasp_bridge.rundir import segment_name

STATES: tuple[str, ...] = ("pending", "done", "partial", "incomplete")


def max_steps_per_segment(
    *,
    walltime_s: float,
    stop_margin_s: float,
    seconds_per_step: float,
    sample_every_steps: int,
) -> int:
    """Most steps of one job: (walltime − margin) / s-per-step, floored to NBLOCK."""
    if seconds_per_step <= 0:
        raise InputError(f"seconds_per_step must be positive, got {seconds_per_step}")
    usable = walltime_s - stop_margin_s
    steps = int(math.floor(usable / seconds_per_step))
    steps -= steps % sample_every_steps
    if steps < sample_every_steps:
        raise InputError(
            f"walltime {walltime_s:.0f} s minus the {stop_margin_s:.0f} s stop margin "
            f"leaves "
            f"no room for {sample_every_steps} steps at {seconds_per_step} s per step"
        )
    return steps


def plan_segments(*, total_steps: int, max_steps: int) -> list[int]:
    """NSW of each segment: full segments of ``max_steps``, then the remainder."""
    if total_steps < 0 or max_steps < 1:
        raise InputError(f"cannot split {total_steps} steps into segments of {max_steps}")
    full, rest = divmod(total_steps, max_steps)
    return [max_steps] * full + ([rest] if rest else [])


@dataclass(frozen=True, kw_only=True)
class SegmentStatus:
    """What the files of one segment say. ``steps_done`` counts ionic steps."""

    index: int
    path: Path
    nsw: int
    state: str
    steps_done: int
    elapsed_s: float | None = None
    n_cores: int | None = None


def segment_steps_done(seg_dir: Path) -> int:
    """Ionic steps a segment has done: OSZICAR MD lines, else OUTCAR iterations."""
    oszicar = seg_dir / "OSZICAR"
    if oszicar.exists():
        return read_oszicar(oszicar).n_steps
    outcar = seg_dir / "OUTCAR"
    if outcar.exists():
        return read_outcar_summary(outcar).ionic_steps
    return 0


def segment_status(seg_dir: str | Path, *, index: int, nsw: int) -> SegmentStatus:
    """The state of one segment directory (see the module docstring)."""
    seg_dir = Path(seg_dir)
    outcar = seg_dir / "OUTCAR"
    if not outcar.exists() and not (seg_dir / "OSZICAR").exists():
        return SegmentStatus(
            index=index, path=seg_dir, nsw=nsw, state="pending", steps_done=0
        )
    summary = read_outcar_summary(outcar) if outcar.exists() else None
    steps = segment_steps_done(seg_dir)
    if summary is None or not summary.complete:
        state = "incomplete"
    elif steps >= nsw:
        state = "done"
    elif steps > 0:
        state = "partial"
    else:
        state = "incomplete"
    return SegmentStatus(
        index=index,
        path=seg_dir,
        nsw=nsw,
        state=state,
        steps_done=steps,
        elapsed_s=summary.elapsed_s if summary else None,
        n_cores=summary.n_cores if summary else None,
    )


@dataclass(frozen=True, kw_only=True)
class RunProgress:
    """Progress of one run: its segments and the steps done so far."""

    total_steps: int
    segments: tuple[SegmentStatus, ...]

    @property
    def finished(self) -> tuple[SegmentStatus, ...]:
        """The leading segments that ended cleanly (``done`` or ``partial``)."""
        out = []
        for seg in self.segments:
            if seg.state not in ("done", "partial"):
                break
            out.append(seg)
        return tuple(out)

    @property
    def steps_done(self) -> int:
        return sum(s.steps_done for s in self.finished)

    @property
    def next_index(self) -> int:
        """Index of the first segment still to run (== len(finished))."""
        return len(self.finished)

    @property
    def complete(self) -> bool:
        return self.steps_done >= self.total_steps

    @property
    def state(self) -> str:
        """``done``, ``running/failed`` (an incomplete segment), ``started`` or ``new``."""
        if self.complete:
            return "done"
        nxt = (
            self.segments[self.next_index] if self.next_index < len(self.segments) else None
        )
        if nxt is not None and nxt.state == "incomplete":
            return "incomplete"
        return "started" if self.steps_done else "new"


def run_progress(run_dir: str | Path, *, plan: list[int], total_steps: int) -> RunProgress:
    """Status of every planned segment of a run directory."""
    run_dir = Path(run_dir)
    segs = tuple(
        segment_status(run_dir / segment_name(i), index=i, nsw=n)
        for i, n in enumerate(plan)
    )
    return RunProgress(total_steps=total_steps, segments=segs)


def replan(progress: RunProgress, *, max_steps: int) -> list[int]:
    """The plan after what was actually done: finished segments keep the steps they
    did, the rest (from the first unfinished one) is split again."""
    done = [s.steps_done for s in progress.finished]
    remaining = max(0, progress.total_steps - sum(done))
    return done + plan_segments(total_steps=remaining, max_steps=max_steps)
