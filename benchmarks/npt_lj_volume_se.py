"""The error of one NPT stage's mean volume against the truth of independent
replicas: R copies of 32-atom LJ argon at 30 K and 0 GPa (benchmarks/npt_lj.py's
stage, 10 fs, series every 10 fs), differing only in their run seed, in one
batch. The spread of the replicas' mean volumes over a window (std over R) is
the true error of one stage's mean there; each replica's own error from its
window alone, by the blocked standard error (the report's until December) and
by :func:`ionmd.numerics.correlated_mean.mean_with_error`, should match it: the
RMS of the per-replica errors over the spread (for the new one's 68 % half-width,
t₆(0.841) = 1.08 on average for a right one), and how often each replica's
±1 s.e. and 95 % interval hold the replicas' mean.

Windows: 5–10 ps (a 10-ps stage's second half, 500 values, the default stage)
and 10–20 ps (a 20-ps stage's, 1000 values).

python -m benchmarks.npt_lj_volume_se [--replicas 64] [--npt-ps 20]
(3.5–6 min on one shared core: the steps are Python-bound, 64 replicas cost
little more than one)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch

from benchmarks.npt_lj import stage
from ionmd.calculators import load_model
from ionmd.numerics.block_average import blocked_standard_error
from ionmd.numerics.correlated_mean import mean_with_error


def window_statistics(volumes_A3: np.ndarray) -> dict[str, Any]:
    """Over replicas' windows ``(R, n)``: the truth (spread of their means) and
    both estimators' errors against it."""
    means = volumes_A3.mean(axis=1)
    spread = float(means.std(ddof=1))
    miss = np.abs(means - means.mean())
    old = np.array([blocked_standard_error(v) for v in volumes_A3])
    new = [mean_with_error(v) for v in volumes_A3]
    ok = [i for i, e in enumerate(new) if e.se is not None]
    se = np.array([new[i].se for i in ok])
    ci = np.array([new[i].ci95 for i in ok])
    return {
        "values": volumes_A3.shape[1],
        "spread_A3": spread,
        "blocked_rms_over_spread": float(np.sqrt(np.mean(old**2)) / spread),
        "blocked_cover_1se": float(np.mean(miss <= old)),
        "new_resolved": len(ok),
        "new_rms_over_spread": float(np.sqrt(np.mean(se**2)) / spread) if ok else None,
        "new_cover_1se": float(np.mean(miss[ok] <= se)) if ok else None,
        "new_cover_95": float(np.mean(miss[ok] <= ci)) if ok else None,
        "decay_lag_median": float(np.median([e.decay_lag or np.nan for e in new])),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", type=int, default=64)
    ap.add_argument("--npt-ps", type=float, default=20.0)
    a = ap.parse_args()
    t0 = time.perf_counter()
    model = load_model("lj", device="cpu", dtype=torch.float64)
    results = stage(
        model=model,
        replicas=a.replicas,
        temperature_K=30.0,
        npt_ps=a.npt_ps,
        pressure_GPa=0.0,
    )
    volumes = np.array([r.volume_A3 for r in results])
    print(f"{a.replicas} replicas, {a.npt_ps:g} ps: {time.perf_counter() - t0:.0f} s")
    n = volumes.shape[1]
    for lo, hi in ((n // 4, n // 2), (n // 2, n)):
        s = window_statistics(volumes[:, lo:hi])
        shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}
        print(f"samples {lo}-{hi}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))


if __name__ == "__main__":
    main()
