"""The device check: everything ionmd needs to know about a GPU, in one call.

    bash benchmarks/gpu_check.sh --out DIR            # on the GPU machine (<= 8 min)
    bash benchmarks/gpu_check.sh --dry-run --out DIR  # the same script on the CPU

Writes ``DIR/gpu_check.json`` after every part (a kill loses only the part it
was in) and prints a table at the end. Each part has its own time limit and is
skipped or stopped with a reason rather than losing the rest. The parts:

- ``environment``: device, versions, neighbour-list backend, what is installed;
- ``engine_vs_ase``: the engine against the study's way (ASE + the same model,
  one system after the other) on the same α-Li3N systems, and the engine's
  overhead over the model alone; interleaved repeats, median and spread;
- ``study_batch``: µs per atom-step at the study's batch (its 21 materials at
  one temperature ≈ 5,500 atoms). There is no OBELiX data on the device: a
  stand-in of the same size is built from α-Li3N supercells (21 systems,
  19 × 256 + 2 × 320 = 5,504 atoms), with the memory per atom against the
  memory model (:mod:`ionmd.campaign.memory`);
- ``largest_batch``: the largest batch the memory model says fits, tried
  (halved on out-of-memory), µs per atom-step there;
- ``float64``: float32 (the CUDA default) against float64;
- ``cueq``, ``compile``, ``skin``: each fast path on against off, same
  systems: forces against the plain path and µs per atom-step;
- ``host_syncs``: device → host reads per ordinary step (torch's sync debug
  mode on CUDA; the Python-level counter everywhere);
- ``adaptive``: the adaptive protocol's in-flight batch (stand-ins at two
  temperatures, a batch of one temperature's worth, refilled as systems leave):
  µs per atom-step of the whole loop and batch occupancy;
- ``real_model``: a pretrained model on a real electrolyte: SevenNet-0 on
  Li6PS5Cl at 700 K (416 atoms, float32) for as long as its time allows, D with
  its 95 % interval, the Li MSD reached, atom-steps per second, next to the
  published AIMD value (:mod:`benchmarks.gpu_check_real_model`);
- ``projection``: wall time of the study's full protocol (1.43e9 atom-steps)
  at the measured throughput.

The MACE has random weights with medium-mpa-0's architecture (``mace-mpa0-arch``):
the weights cannot be fetched on the device; it costs what the real model
costs and predicts nothing (``real_model`` is the one part that predicts). The
dry run uses ``mace-tiny`` and tiny sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.gpu_check_table import table

SCHEMA = "ionmd-gpu-check/1"
MODEL_NOTE = (
    "MACE with random weights and medium-mpa-0's architecture (mace-mpa0-arch): "
    "the weights cannot be fetched on the device; same cost as the real model, "
    "meaningless forces"
)
DRY_MODEL_NOTE = "dry run on the CPU: mace-tiny (random, small) and tiny sizes"
STANDIN_NOTE = (
    "no OBELiX data on the device: the study's batch (its 21 materials at one "
    "temperature, ~5,500 atoms) is stood in for by 21 alpha-Li3N supercells of "
    "the same total size"
)
#: the study's full protocol (docs: NOTES; ionmd.cli.bench.STUDY_ATOM_STEPS)
STUDY_ATOM_STEPS = 5716 * 5 * 50_000
#: the study's own cost: 105 (material, T) runs × median 47 min (ASE, one A100)
STUDY_SEQUENTIAL_H = 105 * 47 / 60
#: every part's status is one of these
STATUSES = ("ok", "skipped", "timeout", "error")


class PartTimeoutError(Exception):
    pass


def _caused_by_timeout(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, PartTimeoutError) or "PartTimeoutError" in str(exc)[:2000]:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise PartTimeoutError in the main thread after ``seconds`` (SIGALRM)."""

    def handler(signum: int, frame: object) -> None:
        raise PartTimeoutError(f"part ran past its limit of {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- sizes -------------------------------------------------------------------
SIZES = {
    "gpu": {
        "model": "mace-mpa0-arch",
        "ase_min_cell_A": 10.0,  # 5 × 192 atoms
        "ase_temperatures_K": (800.0, 900.0, 1000.0, 1100.0, 1200.0),
        "ase_steps": 20,
        "repeats": 3,
        "study_reps": [(4, 4, 4)] * 19 + [(4, 4, 5)] * 2,  # 5,504 atoms
        "steps": 30,
        "largest_cap_atoms": 200_000,
        "fast_steps": 30,
    },
    "dry": {
        "model": "mace-tiny",
        "ase_min_cell_A": 6.0,  # 2 × 32 atoms
        "ase_temperatures_K": (800.0, 1200.0),
        "ase_steps": 4,
        "repeats": 3,
        "study_reps": [(2, 2, 2)] * 3,  # 96 atoms
        "steps": 4,
        "largest_cap_atoms": 192,
        "fast_steps": 4,
    },
}
#: per-part time limits, s (GPU; the dry run scales them by DRY_LIMIT_SCALE)
LIMITS_S = {
    "environment": 30,
    "model_load": 90,
    "engine_vs_ase": 75,
    "study_batch": 60,
    "largest_batch": 60,
    "float64": 45,
    "cueq": 45,
    "compile": 150,
    "skin": 30,
    "host_syncs": 30,
    "projection": 5,
    "adaptive": 60,
    "real_model": 150,
}
#: seconds held back for a later part: the parts before it cannot spend them
#: beyond 10 s each (compile would otherwise take what is left and leave
#: real_model nothing)
RESERVE_S = {"real_model": 100}
DRY_LIMIT_SCALE = 1.0  # a loaded 2-core machine needs the full limits
#: whole-check budget, s (the shell script's hard limit is 480)
BUDGET_S = 450


def standin_systems(reps: list[tuple[int, int, int]], *, temperature_K: float) -> list:
    """``len(reps)`` α-Li3N supercells (material ids ``li3n-standin-NN``) at one T."""
    from ionmd.engine.systems import SystemSpec
    from ionmd.structures.builders import alpha_li3n_atoms

    unit = alpha_li3n_atoms()
    return [
        SystemSpec(
            material_id=f"li3n-standin-{i:02d}",
            atoms=unit.repeat(r),
            temperature_K=temperature_K,
            run_seed=0,
            supercell=np.diag(r).astype(np.int64),
        )
        for i, r in enumerate(reps)
    ]


def ase_systems(*, min_cell_length_A: float, temperatures_K: tuple[float, ...]) -> list:
    """α-Li3N on the ≥ L supercell at each temperature (no pymatgen needed)."""
    from ionmd.engine.systems import SystemSpec
    from ionmd.structures.builders import alpha_li3n_atoms

    atoms = alpha_li3n_atoms(min_cell_length_A=min_cell_length_A)
    return [
        SystemSpec(
            material_id="alpha-Li3N",
            atoms=atoms.copy(),
            temperature_K=t,
            run_seed=0,
            supercell=np.eye(3, dtype=np.int64),
        )
        for t in temperatures_K
    ]


def n_atoms(systems: list) -> int:
    return sum(len(s.atoms) for s in systems)


class Check:
    def __init__(self, *, out_dir: Path, dry_run: bool, budget_s: float) -> None:
        self.out_dir = out_dir
        self.dry = dry_run
        self.size = SIZES["dry" if dry_run else "gpu"]
        self.t0 = time.perf_counter()
        self.budget_s = budget_s
        self.device = torch.device(
            "cuda" if torch.cuda.is_available() and not dry_run else "cpu"
        )
        self.tmp = Path(tempfile.mkdtemp(prefix="ionmd-gpu-check-"))
        self.models: dict[str, Any] = {}
        self.result: dict[str, Any] = {
            "schema": SCHEMA,
            "dry_run": dry_run,
            "device": str(self.device),
            "model": self.size["model"],
            "model_note": DRY_MODEL_NOTE if dry_run else MODEL_NOTE,
            "standin_note": STANDIN_NOTE,
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "parts": {},
        }
        out_dir.mkdir(parents=True, exist_ok=True)
        self.write()

    # --- bookkeeping ---------------------------------------------------------
    def write(self) -> None:
        self.result["elapsed_s"] = time.perf_counter() - self.t0
        path = self.out_dir / "gpu_check.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.result, indent=2, default=_jsonable))
        os.replace(tmp, path)

    def part(self, name: str, fn: Callable[[float], dict[str, Any]]) -> dict[str, Any]:
        limit = LIMITS_S[name] * (DRY_LIMIT_SCALE if self.dry else 1.0)
        later = PARTS[PARTS.index(name) + 1 :] if name in PARTS else ()
        held = sum(RESERVE_S.get(p, 0) for p in later)
        left = self.budget_s - (time.perf_counter() - self.t0)
        entry: dict[str, Any] = {"limit_s": limit}
        t0 = time.perf_counter()
        if left < min(limit, 10.0):
            entry |= {
                "status": "skipped",
                "reason": f"check budget spent ({left:.0f} s left)",
            }
        else:
            limit = min(limit, left, max(left - held, 10.0))
            try:
                with time_limit(limit):
                    data = fn(limit)
                entry |= {"status": data.pop("status", "ok")} | data
            except PartTimeoutError as exc:
                entry |= {"status": "timeout", "reason": str(exc)}
            except Exception as exc:  # one part failing must not lose the rest
                if _caused_by_timeout(exc):  # e.g. wrapped by torch's inductor
                    entry |= {"status": "timeout", "reason": f"part ran past {limit:.0f} s"}
                else:
                    entry |= {
                        "status": "error",
                        "reason": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                        if str(exc)
                        else type(exc).__name__,
                        "traceback": traceback.format_exc()[-2000:],
                    }
            finally:
                if self.device.type == "cuda":
                    with contextlib.suppress(Exception):
                        torch.cuda.empty_cache()
        entry["wall_s"] = time.perf_counter() - t0
        self.result["parts"][name] = entry
        self.write()
        status = entry["status"]
        why = f": {entry['reason']}" if "reason" in entry else ""
        print(f"[{entry['wall_s']:6.1f} s] {name}: {status}{why}", flush=True)
        return entry

    def model(self, *, dtype: torch.dtype | None = None, **fast: Any) -> Any:
        """The check's model (cached by options)."""
        from ionmd.calculators import load_model

        key = repr((dtype, sorted(fast.items())))
        if key not in self.models:
            self.models[key] = load_model(
                self.size["model"], device=self.device, dtype=dtype, **fast
            )
        return self.models[key]

    def engine_us(self, systems: list, model: Any, *, n_steps: int) -> tuple[float, Any]:
        """µs per atom-step of the engine on ``systems`` (run file, MSD, all)."""
        from benchmarks.engine import engine_step_s

        t, summary = engine_step_s(systems, model, n_steps=n_steps, out_dir=self.tmp)
        return t / n_atoms(systems) * 1e6, summary

    # --- parts ---------------------------------------------------------------
    def environment(self, _limit: float) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        versions = {}
        for dist in (
            "torch",
            "torch-sim-atomistic",
            "mace-torch",
            "e3nn",
            "ase",
            "h5py",
            "numpy",
            "cuequivariance-torch",
            "nvalchemi-toolkit-ops",
            "vesin",
        ):
            try:
                versions[dist] = version(dist)
            except PackageNotFoundError:
                versions[dist] = None
        import torch_sim.neighbors as nb

        backend = (
            "nvalchemiops"
            if nb.ALCHEMIOPS_AVAILABLE
            else "vesin"
            if nb.VESIN_AVAILABLE
            else "torch_nl_linked_cell"
        )
        env: dict[str, Any] = {
            "python": sys.version.split()[0],
            "versions": versions,
            "neighbor_list": backend,
            "torch_threads": torch.get_num_threads(),
            "cuda_available": torch.cuda.is_available(),
        }
        if self.device.type == "cuda":
            props = torch.cuda.get_device_properties(self.device)
            env |= {
                "gpu": props.name,
                "gpu_memory_GB": props.total_memory / 1e9,
                "cuda": torch.version.cuda,
                "capability": f"{props.major}.{props.minor}",
            }
        return env

    def model_load(self, _limit: float) -> dict[str, Any]:
        t0 = time.perf_counter()
        m = self.model()
        return {"load_s": time.perf_counter() - t0, "dtype": str(m.dtype)}

    def engine_vs_ase(self, _limit: float) -> dict[str, Any]:
        from benchmarks.engine import ase_sequential_s, engine_step_s, model_only_step_s
        from benchmarks.timing import interleave, ratio_stats
        from ionmd.calculators import load_ase_calculator

        sz = self.size
        model = self.model()
        systems = ase_systems(
            min_cell_length_A=sz["ase_min_cell_A"], temperatures_K=sz["ase_temperatures_K"]
        )
        steps = sz["ase_steps"]
        calc = load_ase_calculator(sz["model"], device=self.device, dtype=model.dtype)
        times = interleave(
            {
                "model": lambda: model_only_step_s(systems, model, n_steps=steps),
                "engine": lambda: engine_step_s(
                    systems, model, n_steps=steps, out_dir=self.tmp
                )[0],
                "ase": lambda: ase_sequential_s(systems, calc, n_steps=steps) / steps,
            },
            repeats=sz["repeats"],
        )
        n = n_atoms(systems)
        med = {k: statistics.median(v) for k, v in times.items()}
        return {
            "n_systems": len(systems),
            "n_atoms": n,
            "steps": steps,
            "times_s_per_step": times,
            "engine_us_per_atom_step": med["engine"] / n * 1e6,
            "model_us_per_atom_step": med["model"] / n * 1e6,
            "ase_us_per_atom_step": med["ase"] / n * 1e6,
            "overhead": ratio_stats(times["engine"], times["model"]),
            "engine_speedup_vs_ase": ratio_stats(times["ase"], times["engine"]),
        }

    def study_batch(self, _limit: float) -> dict[str, Any]:
        from benchmarks.engine import model_only_step_s
        from benchmarks.timing import interleave, ratio_stats

        sz = self.size
        model = self.model()
        systems = standin_systems(sz["study_reps"], temperature_K=1000.0)
        n = n_atoms(systems)
        summaries: list[Any] = []

        def engine() -> float:
            us, summary = self.engine_us(systems, model, n_steps=sz["steps"])
            summaries.append(summary)
            return us * n * 1e-6

        times = interleave(
            {
                "model": lambda: model_only_step_s(systems, model, n_steps=sz["steps"]),
                "engine": engine,
            },
            repeats=2,
        )
        out: dict[str, Any] = {
            "n_systems": len(systems),
            "n_atoms": n,
            "steps": sz["steps"],
            "note": STANDIN_NOTE,
            "times_s_per_step": times,
            "engine_us_per_atom_step": statistics.median(times["engine"]) / n * 1e6,
            "model_us_per_atom_step": statistics.median(times["model"]) / n * 1e6,
            "overhead": ratio_stats(times["engine"], times["model"]),
        }
        out |= self._memory(model, systems, summaries[-1].peak_device_bytes)
        return out

    def _memory(self, model: Any, systems: list, peak_bytes: int) -> dict[str, Any]:
        if self.device.type != "cuda":
            return {"memory": "no CUDA: the memory model measures device memory"}
        from ionmd.campaign.memory import bytes_per_atom

        predicted = bytes_per_atom(model, systems)
        measured = peak_bytes / n_atoms(systems)
        return {
            "peak_bytes_per_atom": measured,
            "memory_model_bytes_per_atom": predicted,
            "peak_over_model": measured / predicted,
        }

    def largest_batch(self, limit: float) -> dict[str, Any]:
        from ionmd.campaign.memory import auto_max_atoms, is_out_of_memory

        sz = self.size
        model = self.model()
        unit = standin_systems([(4, 4, 4)], temperature_K=1000.0)
        per = n_atoms(unit) if not self.dry else 32
        if self.device.type == "cuda":
            fits = auto_max_atoms(model, unit, fill=0.85)
            target = min(fits, sz["largest_cap_atoms"])
            reps = (4, 4, 4)
        else:
            fits, target, reps = None, sz["largest_cap_atoms"], (2, 2, 2)
        tried = []
        t_end = time.perf_counter() + 0.8 * limit
        k = max(1, target // per)
        while k >= 1 and time.perf_counter() < t_end:
            systems = standin_systems([reps] * k, temperature_K=1000.0)
            try:
                us, summary = self.engine_us(
                    systems, model, n_steps=max(3, sz["steps"] // 3)
                )
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                tried.append({"n_atoms": n_atoms(systems), "fits": False})
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                k //= 2
                continue
            tried.append({"n_atoms": n_atoms(systems), "fits": True})
            return {
                "memory_model_max_atoms": fits,
                "capped_at_atoms": sz["largest_cap_atoms"],
                "n_atoms": n_atoms(systems),
                "n_systems": k,
                "engine_us_per_atom_step": us,
                "tried": tried,
            } | self._memory(model, systems, summary.peak_device_bytes)
        return {"status": "timeout", "reason": "no batch finished in time", "tried": tried}

    def float64(self, _limit: float) -> dict[str, Any]:
        sz = self.size
        systems = ase_systems(
            min_cell_length_A=sz["ase_min_cell_A"], temperatures_K=sz["ase_temperatures_K"]
        )
        us32, _ = self.engine_us(
            systems, self.model(dtype=torch.float32), n_steps=sz["fast_steps"]
        )
        us64, _ = self.engine_us(
            systems, self.model(dtype=torch.float64), n_steps=sz["fast_steps"]
        )
        f = self._force_diff(
            systems, self.model(dtype=torch.float64), self.model(dtype=torch.float32)
        )
        return {
            "n_atoms": n_atoms(systems),
            "float32_us_per_atom_step": us32,
            "float64_us_per_atom_step": us64,
            "float64_over_float32": us64 / us32,
            "float32_force_max_abs_diff_eV_A": f,
        }

    def _force_diff(self, systems: list, ref: Any, other: Any) -> float:
        from ionmd.engine.systems import build_state

        s_ref, _, _ = build_state(systems, device=ref.device, dtype=ref.dtype)
        s_oth, _, _ = build_state(systems, device=other.device, dtype=other.dtype)
        f_ref = ref(s_ref)["forces"].detach().double()
        f_oth = other(s_oth)["forces"].detach().double()
        f_oth = other(s_oth)["forces"].detach().double()  # compiled: after warm-up
        return float((f_ref - f_oth).abs().max())

    def _fast_path(self, **fast: Any) -> dict[str, Any]:
        sz = self.size
        systems = ase_systems(
            min_cell_length_A=sz["ase_min_cell_A"], temperatures_K=sz["ase_temperatures_K"]
        )
        plain = self.model(cueq="off")
        t0 = time.perf_counter()
        fastm = self.model(**fast)
        build_s = time.perf_counter() - t0
        diff = self._force_diff(systems, plain, fastm)
        us_fast, _ = self.engine_us(systems, fastm, n_steps=sz["fast_steps"])
        us_plain, _ = self.engine_us(systems, plain, n_steps=sz["fast_steps"])
        out = {
            "options": fast,
            "n_atoms": n_atoms(systems),
            "build_s": build_s,
            "force_max_abs_diff_eV_A": diff,
            "on_us_per_atom_step": us_fast,
            "off_us_per_atom_step": us_plain,
            "speedup": us_plain / us_fast,
        }
        nl = getattr(fastm, "neighbor_list_fn", None)
        if hasattr(nl, "builds"):
            out |= {"neighbor_list_builds": nl.builds, "neighbor_list_calls": nl.calls}
        return out

    def cueq(self, _limit: float) -> dict[str, Any]:
        from ionmd.calculators.mace_models import _cueq_available

        if self.device.type != "cuda":
            return {
                "status": "skipped",
                "reason": "no CUDA device (cuEquivariance is CUDA only)",
            }
        if not _cueq_available():
            return {"status": "skipped", "reason": "cuequivariance-torch is not installed"}
        return self._fast_path(cueq="on")

    def compile(self, _limit: float) -> dict[str, Any]:
        if self.dry:
            return {
                "status": "skipped",
                "reason": "CPU dry run: inductor needs minutes for MACE on 2 cores; "
                "the slow test tests/calculators/test_fast_paths.py compiles it",
            }
        mode = "reduce-overhead" if self.device.type == "cuda" else "default"
        return self._fast_path(cueq="off", compile_mode=mode)

    def skin(self, _limit: float) -> dict[str, Any]:
        return self._fast_path(cueq="off", neighbor_skin_A=1.0)

    def host_syncs(self, _limit: float) -> dict[str, Any]:
        import warnings

        from benchmarks.host_reads import count_host_reads
        from ionmd.campaign.config import RunConfig
        from ionmd.engine.runner import run_batch

        sz = self.size
        systems = ase_systems(
            min_cell_length_A=sz["ase_min_cell_A"], temperatures_K=sz["ase_temperatures_K"]
        )
        model = self.model()
        cfg = RunConfig(
            materials=("sync",),
            temperatures_K=sz["ase_temperatures_K"],
            duration_ps=0.04,  # 20 steps of 2 fs
            equilibration_ps=0.0,
            sample_every_fs=4.0,
            msd_every_fs=2.0,
            thermo_every_fs=4.0,
            fault_check_every_fs=40.0,
            flush_every_ps=0.04,
            progress=False,
        )
        special = {cfg.n_steps}
        out: dict[str, Any] = {"steps": cfg.n_steps}
        with count_host_reads() as counter:
            run_batch(
                systems,
                model,
                protocol=cfg.protocol,
                out_path=self.tmp / "sync1.h5",
                model_name="x",
            )
        for owner in ("ionmd", "integrator+model"):
            per = counter.per_step(owner)
            ordinary = [
                per.get(s, 0) for s in range(1, cfg.n_steps + 1) if s not in special
            ]
            out[f"python_reads_per_ordinary_step_{owner}"] = (
                max(ordinary) if ordinary else 0
            )
        out["python_reads_where"] = {
            f"{o}: {w}": k for (o, w), k in sorted(counter.where.items())
        }
        if self.device.type == "cuda":
            step_count = {"n": 0}
            orig = run_batch

            def cb(step: int, _st: object) -> None:
                step_count["n"] = step

            torch.cuda.set_sync_debug_mode("warn")
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    orig(
                        systems,
                        model,
                        config=cfg,
                        out_path=self.tmp / "sync2.h5",
                        model_name="x",
                        step_callback=cb,
                    )
            finally:
                torch.cuda.set_sync_debug_mode("default")
            syncs = [str(w.message).splitlines()[0][:120] for w in caught]
            out["cuda_sync_warnings_total"] = len(syncs)
            out["cuda_sync_warnings_per_step"] = len(syncs) / cfg.n_steps
            kinds: dict[str, int] = {}
            for s in syncs:
                kinds[s] = kinds.get(s, 0) + 1
            out["cuda_sync_kinds"] = kinds
        return out

    def adaptive(self, _limit: float) -> dict[str, Any]:
        """The adaptive protocol's in-flight batch (issue 13): the stand-in
        materials at two temperatures queued into a batch that holds one
        temperature's worth; each system runs three chunks (random weights: no
        physics, so every run ends at max_duration_ps), and the batch is refilled
        as systems leave. Throughput of the loop (decisions and refills included)
        and batch occupancy."""
        from ionmd.campaign.adaptive.loop import AdaptiveLoop
        from ionmd.campaign.adaptive.settings import AdaptiveSettings
        from ionmd.engine.protocol import Protocol

        sz = self.size
        model = self.model()
        chunk_steps = 4 if self.dry else 30
        one_T = standin_systems(sz["study_reps"], temperature_K=1000.0)
        systems = one_T + standin_systems(sz["study_reps"], temperature_K=1200.0)
        protocol = Protocol(
            timestep_fs=2.0,
            duration_ps=1.0,
            equilibration_ps=0.0,
            msd_every_fs=4.0,
            sample_every_fs=8.0,
            thermo_every_fs=8.0,
            fault_check_every_fs=8.0,
            progress=False,
        )
        chunk_ps = chunk_steps * 2.0e-3
        settings = AdaptiveSettings(
            chunk_ps=chunk_ps,
            max_duration_ps=3 * chunk_ps,
            min_reliable_temperatures=2,
            max_temperature_K=1200.0,
            min_temperature_K=1000.0,
        )
        t0 = time.perf_counter()
        loop = AdaptiveLoop(
            model,
            protocol=protocol,
            settings=settings,
            systems=systems,
            capacity_atoms=n_atoms(one_T),
            out_path=self.tmp / "adaptive" / "md.h5",
            model_name="x",
            model_version="",
            run_config={},
            fingerprint_protocol={},
        )
        cost = loop.run()
        wall = time.perf_counter() - t0
        st = loop.state
        return {
            "n_systems": len(systems),
            "capacity_atoms": n_atoms(one_T),
            "chunk_steps": chunk_steps,
            "batch_steps": st["step"],
            "atom_steps": st["atom_steps"],
            "wall_s": wall,
            "us_per_atom_step": wall / max(st["atom_steps"], 1) * 1e6,
            "md_us_per_atom_step": 1e6 / cost["atom_steps_per_s"],
            "occupancy_mean": st["occupancy_mean"],
            "occupancy_mean_while_queued": st["occupancy_mean_while_queued"],
            "outcomes": sorted({r["outcome"] for r in st["systems"].values()}),
            "peak_device_GB": cost["peak_device_GB"],
        }

    def real_model(self, limit: float) -> dict[str, Any]:
        from benchmarks.gpu_check_real_model import run_real_model

        return run_real_model(device=self.device, dry=self.dry, limit_s=limit, tmp=self.tmp)

    def projection(self, _limit: float) -> dict[str, Any]:
        parts = self.result["parts"]
        cands = {
            name: parts[name]["engine_us_per_atom_step"]
            for name in ("study_batch", "largest_batch")
            if parts.get(name, {}).get("status") == "ok"
        }
        if not cands:
            return {"status": "skipped", "reason": "no throughput measured"}
        out: dict[str, Any] = {
            "study_atom_steps": STUDY_ATOM_STEPS,
            "study_sequential_h": STUDY_SEQUENTIAL_H,
        }
        for name, us in cands.items():
            hours = STUDY_ATOM_STEPS * us * 1e-6 / 3600.0
            out[f"campaign_h_at_{name}"] = hours
            out[f"speedup_vs_study_at_{name}"] = STUDY_SEQUENTIAL_H / hours
        return out


PARTS = (
    "environment",
    "model_load",
    "engine_vs_ase",
    "study_batch",
    "largest_batch",
    "float64",
    "cueq",
    "skin",
    "host_syncs",
    "adaptive",
    "compile",  # inductor takes what time is left but real_model's reserve
    "real_model",  # last but one: the only part that predicts (its own limit)
    "projection",
)


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def out_problem(out: Path) -> str | None:
    """Why ``--out`` is refused, or None: it must be new, empty or a previous check's.

    The check writes gpu_check.json/.md there; a filesystem root, a file or a
    directory holding other things (``--out /``, ``--out ~``) is a slip, not a target.
    """
    if out.exists() and not out.is_dir():
        return f"--out {out} is an existing file, not a directory"
    if out.resolve() == Path(out.resolve().anchor):
        return f"--out {out} is the filesystem root; give a new or empty directory"
    if out.is_dir() and any(out.iterdir()) and not (out / "gpu_check.json").exists():
        return (
            f"--out {out} is a directory holding other files; give a new or empty "
            "directory (or a previous check's)"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes (~2 min)")
    ap.add_argument("--budget-s", type=float, default=BUDGET_S)
    ap.add_argument("--only", nargs="*", choices=PARTS, help="run only these parts")
    args = ap.parse_args(argv)
    problem = out_problem(args.out)
    if problem:
        print(f"gpu_check: {problem}", file=sys.stderr)
        return 2
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="e3nn")
    logging.getLogger("mace").setLevel(logging.ERROR)
    if args.dry_run:
        torch.set_num_threads(min(2, torch.get_num_threads()))
    check = Check(out_dir=args.out, dry_run=args.dry_run, budget_s=args.budget_s)
    for name in PARTS:
        if args.only and name not in args.only and name != "model_load":
            continue
        check.part(name, getattr(check, name))
    check.result["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    check.write()
    text = table(check.result)  # benchmarks/gpu_check_table.py
    (args.out / "gpu_check.md").write_text(text)
    print(text)
    print(f"wrote {args.out / 'gpu_check.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
