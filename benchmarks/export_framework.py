"""What storing the framework costs (``framework_every_fs``): run-file size and
engine step time on a small campaign, with and without it, interleaved.

The campaign: the toy conductor (toy-fast: 108 framework atoms + Li, CPU pair
potential, docs/toy_conductor.md) at three temperatures in one batch, the
study's strides (2 fs, Li frames every 100 fs), ``--duration-ps`` long. Each
setting of ``framework_every_fs`` (0 = off, 100, 1000 fs) runs in turn,
``--repeats`` times, the order rotated each repeat (off, 100, 1000; 100,
1000, off; ...); step time is the engine's wall
time per step (model loading excluded), the ratio to "off" is the median of the
per-repeat ratios (:func:`benchmarks.timing.ratio_stats`). Sizes: the file, and
the bytes each series stores per 100 ps of one system (from HDF5's storage
size per frame), which is what a study run adds.

    python -m benchmarks.export_framework --duration-ps 2 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import h5py

SETTINGS_FS = (0.0, 100.0, 1000.0)


def _systems(temperatures_K: tuple[float, ...]) -> list:
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.plan import systems_for_material
    from ionmd.structures.builders import toy_conductor

    cfg = RunConfig(materials=("toy-fast",), temperatures_K=temperatures_K)
    return systems_for_material("toy-fast", toy_conductor("toy-fast"), config=cfg)


def _per_100ps_bytes(path: Path, *, framework_every_fs: float) -> dict[str, float]:
    """Stored bytes per 100 ps of one system (values, steps and times at their
    strides): Li positions and framework positions."""
    out = {"li_positions": 0.0, "framework_positions": 0.0}
    with h5py.File(path) as f:
        key = next(k for k in f["parameters"] if k != "ionmd")
        attrs = f[f"parameters/{key}"].attrs
        li_fs = float(attrs["sample_every_steps"]) * float(attrs["timestep_fs"])
        for name, group, stride_fs in (
            ("li_positions", f"particles/{key}/position", li_fs),
            ("framework_positions", f"framework/{key}/position", framework_every_fs),
        ):
            if group in f:
                value = f[f"{group}/value"]
                per_frame = value.dtype.itemsize * value[0].size + 16  # + step, time
                out[name] = per_frame * 100_000.0 / stride_fs
    return out


def measure(*, duration_ps: float, repeats: int) -> dict[str, Any]:
    from benchmarks.timing import interleave, ratio_stats
    from ionmd.calculators.registry import load_model
    from ionmd.campaign.config import RunConfig
    from ionmd.engine.runner import run_batch

    systems = _systems((1000.0, 1200.0, 1400.0))
    model = load_model("toy", device="cpu")
    tmp = Path(tempfile.mkdtemp(prefix="ionmd-fw-"))
    sizes: dict[str, dict[str, Any]] = {}

    def part(fs: float) -> Any:
        def go() -> float:
            cfg = RunConfig(
                materials=("toy-fast",),
                duration_ps=duration_ps,
                equilibration_ps=duration_ps / 10,
                framework_every_fs=fs,
                progress=False,
            )
            path = tmp / f"fw{fs:g}.h5"
            path.unlink(missing_ok=True)
            path.with_suffix(".ckpt.pt").unlink(missing_ok=True)
            summary = run_batch(systems, model, md=cfg.md, out_path=path, model_name="toy")
            sizes[f"{fs:g}"] = {
                "file_bytes": path.stat().st_size,
                "per_100ps_one_system_bytes": _per_100ps_bytes(path, framework_every_fs=fs),
            }
            return summary.wall_s / summary.steps

        return go

    parts = [(f"{fs:g}", part(fs)) for fs in SETTINGS_FS]
    times: dict[str, list[float]] = {name: [] for name, _ in parts}
    for r in range(max(1, repeats)):  # the order rotates: no setting always first
        turn = parts[r % len(parts) :] + parts[: r % len(parts)]
        for name, got in interleave(dict(turn), repeats=1).items():
            times[name] += got
    return {
        "campaign": f"toy-fast, 3 temperatures, {len(systems[0].atoms)} atoms each, "
        f"{duration_ps} ps at 2 fs, Li frames every 100 fs, CPU",
        "step_s_median": {k: sorted(v)[len(v) // 2] for k, v in times.items()},
        "step_time_ratio_to_off": {
            k: ratio_stats(v, times["0"]) for k, v in times.items() if k != "0"
        },
        "sizes": sizes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-ps", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(duration_ps=args.duration_ps, repeats=args.repeats), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
