"""What a campaign's tasks are doing, from its ``<out_dir>/scaleout/`` files:
the table behind ``ionmd status OUT_DIR``. Reads only; safe while a run goes on."""

from __future__ import annotations

import os
import socket
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ionmd.errors import InputError
from ionmd.scaleout import markers
from ionmd.scaleout.task import STATES


@dataclass(frozen=True, kw_only=True)
class StatusRow:
    key: str
    state: str
    attempts: int
    where: str | None
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class CampaignStatus:
    """Rows in the order the runner recorded them, and a note on the runner."""

    rows: list[StatusRow]
    runner_note: str

    @property
    def counts(self) -> dict[str, int]:
        """Tasks per state, every state present (0 when none)."""
        counts = Counter(row.state for row in self.rows)
        return {state: counts.get(state, 0) for state in STATES}

    def format(self, *, show_done: bool = True) -> str:
        """A plain-text table, then one line of counts and the runner's note."""
        rows = [r for r in self.rows if show_done or r.state != "done"]
        header = ("task", "state", "tries", "where", "reason")
        table = [header] + [
            (r.key, r.state, str(r.attempts), r.where or "", r.reason or "") for r in rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True))
            + "  "
            + line[-1]
            for line in table
        ]
        summary = ", ".join(f"{n} {state}" for state, n in self.counts.items())
        return "\n".join([*(line.rstrip() for line in lines), summary, self.runner_note])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runner_note(runner: dict, *, any_failed: bool = False) -> str:
    where = markers.describe_where(runner) or "?"
    pid = runner.get("pid")
    if runner.get("ended") == "finished":
        retry = "; re-run the campaign to retry" if any_failed else ""
        return f"runner: finished (pid {pid} on {where}){retry}"
    if runner.get("ended") == "interrupted":
        return (
            f"runner: interrupted (pid {pid} on {where}): pending/running states are "
            "stale; re-run the campaign command to resume"
        )
    if runner.get("host") == socket.gethostname() and isinstance(pid, int):
        if not _pid_alive(pid):
            return (
                f"runner: pid {pid} on {where} is gone (interrupted): pending/running "
                "states are stale; re-run the campaign command to resume"
            )
        return f"runner: running (pid {pid} on {where})"
    return f"runner: pid {pid} on {where} (another host: cannot check it is alive)"


def _no_state_message(out_dir: Path) -> str:
    """Why there is no table: an in-process campaign (its campaign.json) or nothing."""
    expected = markers.state_path(out_dir)
    record = markers.read_json(out_dir / "campaign.json")
    if isinstance(record, dict) and "status" in record:
        return (
            f"{out_dir} is a campaign run in-process (campaign.json: status "
            f"{record['status']}); ionmd status follows campaigns run with --executor "
            f"(it reads {expected})"
        )
    return f"no scale-out state in {out_dir} (expected {expected})"


def _check_state(data: object, path: Path) -> None:
    """One line when the state file is not what the runner writes (hand-edited, foreign)."""
    tasks = data.get("tasks") if isinstance(data, dict) else None
    ok = isinstance(tasks, dict) and isinstance(data.get("runner", {}), dict)
    for entry in tasks.values() if ok else ():
        ok = ok and isinstance(entry, dict)
        attempts = entry.get("attempts", 0) if ok else 0
        ok = ok and (attempts is None or (isinstance(attempts, int)))
    if not ok:
        raise InputError(
            f"{path} is not a scale-out state file (tasks must map keys to "
            "{state, attempts, ...}); was it edited by hand?"
        )


def campaign_status(out_dir: Path) -> CampaignStatus:
    """The status of every task of the campaign in ``out_dir``.

    Tasks the runner still lists as pending but whose worker has written a start
    record show as ``running``, with the host (and SLURM job) running them.
    """
    data = markers.read_json(markers.state_path(Path(out_dir)))
    if not data or "tasks" not in data:
        raise InputError(_no_state_message(Path(out_dir)))
    _check_state(data, markers.state_path(Path(out_dir)))
    rows = []
    for key, entry in data["tasks"].items():
        state = entry.get("state", "pending")
        where = entry.get("where")
        if state == "pending":
            started = markers.read_json(markers.started_path(Path(out_dir), key))
            if started is not None:
                state, where = "running", markers.describe_where(started)
        rows.append(
            StatusRow(
                key=key,
                state=state,
                attempts=int(entry.get("attempts") or 0),
                where=where,
                reason=entry.get("reason"),
            )
        )
    any_failed = any(r.state == "failed" for r in rows)
    note = _runner_note(data.get("runner", {}), any_failed=any_failed)
    return CampaignStatus(rows=rows, runner_note=note)
