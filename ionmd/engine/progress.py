"""Progress of long runs: done/total, rate and ETA on stderr.

On a terminal (or in a notebook) a tqdm bar redrawn a few times a second; where
stderr is a file or a pipe (a batch job's log, ``2> run.log``), one plain line
per ``line_every_s`` (the run files' flush interval) instead of ``\\r`` redraws
that fill the log with one endless line. The rate and the ETA count only the
work done since this process started (a resumed run is not credited with the
steps of the run before), and an interrupted run's last line says where it
stopped rather than jumping to 100 %.
"""

from __future__ import annotations

import sys
import time
from typing import Any


def _interactive() -> bool:
    """stderr is a terminal, or this runs in a Jupyter kernel (tqdm's widget)."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or "ipykernel" in sys.modules


def _duration(seconds: float) -> str:
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Progress of ``total`` units of work (MD steps, or atom-steps), updated as
    often as the caller likes: the display is throttled (no per-step cost)."""

    def __init__(
        self,
        *,
        total_steps: int,
        timestep_fs: float | None = None,
        n_atoms: int = 0,
        enabled: bool = True,
        label: str = "MD",
        unit: str = "step",
        line_every_s: float = 60.0,
    ) -> None:
        self.total = int(total_steps)
        self.timestep_fs = timestep_fs
        self.enabled, self.label, self.unit = enabled, label, unit
        self.line_every_s = line_every_s
        self.postfix = ""
        self._bar: Any = None
        self._start: int | None = None  # the first value seen (a resume's start)
        self._t0 = self._last = self._last_line = 0.0
        self._seen = self._shown = 0

    def _open(self, done: int) -> None:
        self._start, self._seen, self._shown = done, done, done
        self._t0 = self._last_line = time.perf_counter()
        if _interactive():
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.total,
                initial=done,  # tqdm's rate and ETA then count from here
                unit=self.unit,
                desc=self.label,
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
            )

    def update(self, step: int, *, postfix: str | None = None) -> None:
        """``step`` units done in all (the first call sets where this run began)."""
        if not self.enabled:
            return
        if self._start is None:
            self._open(step)
        self._seen = step
        if postfix is not None:
            self.postfix = postfix
        now = time.perf_counter()
        if now - self._last < 0.5 and step < self.total:
            return
        self._last = now
        self._show(now)

    def set_total(self, total: int) -> None:
        """A new total (the adaptive protocol's worst case grows as it plans)."""
        self.total = int(total)
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def _rate_and_eta(self, now: float) -> tuple[float, float | None]:
        elapsed = now - self._t0
        done = self._seen - (self._start or 0)
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self._seen) / rate if rate > 0 else None
        return rate, eta

    def _postfix(self, now: float) -> str:
        if self.timestep_fs is None:
            return self.postfix
        rate, _ = self._rate_and_eta(now)
        sim_ps = self._seen * self.timestep_fs * 1e-3
        ns_day = rate * self.timestep_fs * 1e-6 * 86400.0
        return f"{sim_ps:.2f} ps, {ns_day:.3g} ns/day" + (
            f", {self.postfix}" if self.postfix else ""
        )

    def _show(self, now: float, *, final: bool = False) -> None:
        if self._bar is not None:
            self._bar.update(self._seen - self._shown)
            self._shown = self._seen
            self._bar.set_postfix_str(self._postfix(now), refresh=False)
            return
        if final or now - self._last_line >= self.line_every_s:
            self._last_line = now
            print(self._line(now, final=final), file=sys.stderr, flush=True)

    def _line(self, now: float, *, final: bool) -> str:
        """One plain progress line (no terminal)."""
        pct = 100.0 * self._seen / self.total if self.total else 100.0
        _, eta = self._rate_and_eta(now)
        head = f"{self.label}: {self._seen:,}/{self.total:,} {self.unit}s ({pct:.0f} %)"
        if final:
            state = "done" if self._seen >= self.total else "stopped here"
            tail = f"{state} after {_duration(now - self._t0)}"
        else:
            tail = f"ETA {_duration(eta)}" if eta is not None else "ETA ?"
        postfix = self._postfix(now)
        return f"{head}, {postfix + ', ' if postfix else ''}{tail}"

    def close(self) -> None:
        """The last display: where the run is now (the total when it finished,
        the step it stopped at when interrupted or when every system failed)."""
        if not self.enabled or self._start is None:
            return
        self._show(time.perf_counter(), final=True)
        if self._bar is not None:
            self._bar.close()
        self._start = None
