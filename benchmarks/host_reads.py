"""Count device → host reads per MD step (test helper, also used by the GPU check).

Wraps the torch.Tensor methods through which Python code reads a tensor's value
on the host (``item``, ``tolist``, ``__bool__``, ``cpu``, ``numpy``, ``__int__``,
``__float__``, ``__index__``) and attributes each call to a step and an owner.
Each call of ``ionmd.engine.integrator.nh_step`` starts a step; the step owns
every read until the next one, its flush and fault check included. The owner is
``"integrator+model"`` when torch-sim's step function (which calls the model) is
on the stack, ``"ionmd"`` otherwise (our loop, MSD, recorder, thermodynamics,
fault checks, flushes, and whatever torch-sim helpers we call do for us).
Implicit syncs inside C++ ops (``nonzero``, boolean indexing) are invisible here;
``torch.cuda.set_sync_debug_mode`` catches those on a GPU (the device check does).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import torch

READ_METHODS = (
    "item",
    "tolist",
    "__bool__",
    "cpu",
    "numpy",
    "__int__",
    "__float__",
    "__index__",
)
#: frames of these functions mark a read as the integrator's / the model's
_EXTERNAL_FUNCS = {"nvt_nose_hoover_step"}


class ReadCounter:
    def __init__(self) -> None:
        self.step = 0  # the step being computed (0: set-up before the first step)
        self.counts: Counter[tuple[int, str]] = Counter()
        self.where: Counter[tuple[str, str]] = Counter()
        self._busy = False

    def step_started(self) -> None:
        self.step += 1

    def step_done(self, step: int, _state: object = None) -> None:
        """As a ``step_callback``: checks that our step numbering is the run's."""
        if step != self.step:
            raise AssertionError(f"step {step} ended while counting step {self.step}")

    def _owner(self) -> tuple[str, str]:
        frame = sys._getframe(2)
        first = ""
        while frame is not None:
            code = frame.f_code
            if code.co_name in _EXTERNAL_FUNCS:
                return "integrator+model", first
            fname = code.co_filename
            if not first and "/torch/" not in fname and "host_reads" not in fname:
                first = f"{fname.rsplit('/', 2)[-1]}:{frame.f_lineno} {code.co_name}"
            frame = frame.f_back
        return "ionmd", first

    def record(self, method: str) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            owner, first = self._owner()
            self.counts[(self.step, owner)] += 1
            self.where[(owner, f"{method} at {first}")] += 1
        finally:
            self._busy = False

    def per_step(self, owner: str) -> dict[int, int]:
        return {s: n for (s, o), n in self.counts.items() if o == owner}


@contextmanager
def count_host_reads() -> Iterator[ReadCounter]:
    """Count reads while the block runs; the engine's steps are numbered 1, 2, ...
    from the first ``nh_step`` call inside the block (0: set-up)."""
    from ionmd.engine import integrator

    counter = ReadCounter()
    originals = {name: getattr(torch.Tensor, name) for name in READ_METHODS}
    orig_step = integrator.nh_step

    def nh_step(*args, **kwargs):
        counter.step_started()
        return orig_step(*args, **kwargs)

    def wrap(name: str, orig):  # noqa: ANN001
        def wrapper(self, *args, **kwargs):  # noqa: ANN001
            counter.record(name)
            return orig(self, *args, **kwargs)

        return wrapper

    try:
        for name, orig in originals.items():
            setattr(torch.Tensor, name, wrap(name, orig))
        integrator.nh_step = nh_step
        yield counter
    finally:
        integrator.nh_step = orig_step
        for name, orig in originals.items():
            setattr(torch.Tensor, name, orig)
