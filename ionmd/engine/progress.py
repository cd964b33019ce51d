"""Progress bar for long runs: steps, simulated ps, ns/day and ETA (tqdm)."""

from __future__ import annotations

import sys
import time


class Progress:
    """A tqdm bar updated at most a few times per second (no per-step cost)."""

    def __init__(
        self,
        *,
        total_steps: int,
        timestep_fs: float,
        n_atoms: int,
        enabled: bool = True,
        label: str = "MD",
    ) -> None:
        self.total = total_steps
        self.timestep_fs = timestep_fs
        self._t0 = time.perf_counter()
        self._last = 0.0
        self._done = 0
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total_steps,
                unit="step",
                desc=label,
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
            )

    def update(self, step: int) -> None:
        if self._bar is None:
            return
        now = time.perf_counter()
        if now - self._last < 0.5 and step < self.total:
            return
        self._last = now
        self._bar.update(step - self._done)
        self._done = step
        elapsed = now - self._t0
        sim_ps = step * self.timestep_fs * 1e-3
        ns_day = (sim_ps * 1e-3) / (elapsed / 86400.0) if elapsed > 0 else 0.0
        self._bar.set_postfix_str(f"{sim_ps:.2f} ps, {ns_day:.3g} ns/day", refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self.total - self._done)
            self._bar.close()
