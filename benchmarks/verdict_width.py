"""What the verdict's 2-decade rule buys: synthetic Arrhenius data of known truth.

Each simulated material: 2 to 5 temperatures drawn from the study's 600–1200 K
(a narrow or a wide span), ln D with Gaussian scatter of a known standard
deviation (0.05 to 1.5, as short or long runs give), the weighted Arrhenius fit
of ``ionmd.analysis.arrhenius`` extrapolated to 300 K. Every temperature counts
as reliable, so the verdict (``ionmd.analysis.verdict.material_verdict``) turns
on the interval width alone. Printed: how many values are predictions, and the
error |log10 σ_fit(300 K) / σ_true(300 K)| among predictions and among the rest
(median, 95th percentile, share beyond 1 decade).

    python -m benchmarks.verdict_width [--n 4000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from ionmd.analysis.arrhenius import fit_arrhenius
from ionmd.analysis.results_file import verdict_basis_of_dict
from ionmd.analysis.verdict import material_verdict
from ionmd.units import KB_EV_PER_K

LN_D0 = math.log(1e-3)


def simulate(*, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(|log10 error| of D(300 K) (hence of σ(300 K)), is it a prediction) per
    simulated material."""
    rng = np.random.default_rng(seed)
    errors, predicted = [], []
    for _ in range(n):
        n_t = int(rng.integers(2, 6))
        lo_K = float(rng.choice([600.0, 1000.0]))  # a wide or a narrow span
        T = np.linspace(lo_K, 1200.0, n_t)
        ea = float(rng.uniform(0.15, 0.6))
        sd = np.full(n_t, float(rng.uniform(0.05, 1.5)))
        lnD = LN_D0 - ea / (KB_EV_PER_K * T) + rng.normal(0, sd)
        fit = fit_arrhenius(temperature_K=T, D_cm2_s=np.exp(lnD), sigma_lnD=sd)
        D, (lo, hi) = fit.D_at(temperature_K=300.0)
        truth = LN_D0 - ea / (KB_EV_PER_K * 300.0)
        errors.append(abs(math.log(D) - truth) / math.log(10))
        t = [{"temperature_K": float(x), "reliable": True} for x in T]
        m = {
            "sigma_300K_mS_cm": D,  # σ ∝ D at a fixed T: the same decades
            "sigma_300K_ci95_mS_cm": [lo, hi],
            "all_reliable": True,
            "temperatures": t,
        }
        predicted.append(material_verdict("x", verdict_basis_of_dict(m)).prediction)
    return np.array(errors), np.array(predicted)


def summary(errors: np.ndarray) -> str:
    if errors.size == 0:
        return "none"
    return (
        f"n {errors.size}: median {np.median(errors):.2f}, 95th percentile "
        f"{np.percentile(errors, 95):.2f} decades; beyond 1 decade "
        f"{np.mean(errors > 1.0):.1%}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    errors, predicted = simulate(n=a.n, seed=a.seed)
    print(f"{predicted.sum()} of {a.n} fitted values are predictions (≤ 2 decades)")
    print(f"predictions:     {summary(errors[predicted])}")
    print(f"not predictions: {summary(errors[~predicted])}")
    print(f"all fitted:      {summary(errors)}")


if __name__ == "__main__":
    main()
