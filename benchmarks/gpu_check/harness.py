"""The device check's harness: the device, the model cache, the JSON written
after every part, and each part run under its time limit with its failure
recorded (status and a one-line reason) instead of losing the rest.

A part is a function ``(check, limit_s) -> dict`` (:mod:`benchmarks.gpu_check.parts`);
it may return ``status`` and ``reason`` itself (``skipped`` with why)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.gpu_check.settings import (
    DRY_LIMIT_SCALE,
    DRY_MODEL_NOTE,
    LIMITS_S,
    MODEL_NOTE,
    PARTS,
    RESERVE_S,
    SCHEMA,
    SIZES,
    STANDIN_NOTE,
)
from benchmarks.gpu_check.systems import ase_systems, n_atoms
from benchmarks.gpu_check.timeouts import PartTimeoutError, caused_by_timeout, time_limit


class Check:
    """One run of the check: where it writes, on what device, at which sizes."""

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
        """``gpu_check.json`` as it stands (atomically: a kill leaves the last one)."""
        self.result["elapsed_s"] = time.perf_counter() - self.t0
        path = self.out_dir / "gpu_check.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.result, indent=2, default=_jsonable))
        os.replace(tmp, path)

    def part(self, name: str, fn: Callable[[float], dict[str, Any]]) -> dict[str, Any]:
        """Run ``fn(limit_s)`` as part ``name``, record its entry, write the JSON."""
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
            entry |= self._guarded(fn, limit=min(limit, left, max(left - held, 10.0)))
        entry["wall_s"] = time.perf_counter() - t0
        self.result["parts"][name] = entry
        self.write()
        status = entry["status"]
        why = f": {entry['reason']}" if "reason" in entry else ""
        print(f"[{entry['wall_s']:6.1f} s] {name}: {status}{why}", flush=True)
        return entry

    def _guarded(self, fn: Callable[[float], dict[str, Any]], *, limit: float) -> dict:
        """``fn``'s data with its status, or the timeout or error it ended in."""
        try:
            with time_limit(limit):
                data = fn(limit)
            return {"status": data.pop("status", "ok")} | data
        except PartTimeoutError as exc:
            return {"status": "timeout", "reason": str(exc)}
        except Exception as exc:  # one part failing must not lose the rest
            if caused_by_timeout(exc):  # e.g. wrapped by torch's inductor
                return {"status": "timeout", "reason": f"part ran past {limit:.0f} s"}
            return {
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

    # --- what the parts share ------------------------------------------------
    def model(self, *, dtype: torch.dtype | None = None, **fast: Any) -> Any:
        """The check's model (cached by options)."""
        from ionmd.calculators import load_model

        key = repr((dtype, sorted(fast.items())))
        if key not in self.models:
            self.models[key] = load_model(
                self.size["model"], device=self.device, dtype=dtype, **fast
            )
        return self.models[key]

    def ase_systems(self) -> list:
        """The ASE comparison's α-Li3N systems at this check's sizes (also the fast
        paths', float64's and host_syncs' systems)."""
        return ase_systems(
            min_cell_length_A=self.size["ase_min_cell_A"],
            temperatures_K=self.size["ase_temperatures_K"],
        )

    def engine_us(self, systems: list, model: Any, *, n_steps: int) -> tuple[float, Any]:
        """µs per atom-step of the engine on ``systems`` (run file, MSD, all)."""
        from benchmarks.engine import engine_step_s

        t, summary = engine_step_s(systems, model, n_steps=n_steps, out_dir=self.tmp)
        return t / n_atoms(systems) * 1e6, summary


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)
