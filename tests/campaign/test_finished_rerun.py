"""``ionmd run`` on a campaign that already finished: the same closing lines as the
fresh run (σ(300 K) per material with its interval and verdict, the report's
path), one line saying it was already complete, exit 0, nothing rewritten: as
``ionmd.run`` returns the finished campaign's Results. Before, the CLI refused
it (exit 2, "use --force")."""

from __future__ import annotations

from pathlib import Path

import pytest

from .tiny import ionmd, keep_signal_handlers, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("keep_signal_handlers")


def _closing(out: str) -> list[str]:
    """The fresh run's closing lines: from the first verdict line to the end."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("run files:"))
    return lines[start:]


@pytest.mark.timeout(300)
def test_rerun_of_a_finished_campaign_prints_its_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, "done", temps=(30, 60), duration_ps=0.3)
    assert ionmd("run", str(cfg)) == 0
    fresh = capsys.readouterr()
    record = tmp_path / "done" / "campaign.json"
    stamp = (record.read_bytes(), record.stat().st_mtime_ns)

    assert ionmd("run", str(cfg)) == 0
    again = capsys.readouterr()
    assert _closing(again.out) == _closing(fresh.out)
    assert any("lj_li" in line and "σ(300 K)" in line for line in again.out.splitlines())
    assert f"report: {tmp_path / 'done' / 'report.html'}" in again.out
    said = [line for line in again.err.splitlines() if "already complete" in line]
    assert len(said) == 1 and "--force" in said[0], again.err
    assert "already complete" not in fresh.err
    assert (record.read_bytes(), record.stat().st_mtime_ns) == stamp  # nothing rewritten


@pytest.mark.timeout(300)
def test_rerun_after_results_json_was_deleted_analyses_again_without_md(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """results.json deleted from a finished campaign: the re-run was refused ("holds
    a finished campaign; use --force", which would redo the MD); now it keeps the
    run file as it is and writes the analysis again."""
    cfg = write_config(tmp_path, "done", temps=(30, 60), duration_ps=0.3)
    assert ionmd("run", str(cfg)) == 0
    capsys.readouterr()
    out = tmp_path / "done"
    results = out / "results.json"
    before = results.read_text()
    run_file = out / "md.h5"
    stamp = (run_file.read_bytes(), run_file.stat().st_mtime_ns)
    results.unlink()

    assert ionmd("run", str(cfg)) == 0
    again = capsys.readouterr()
    assert "already done" in again.err and "--force" not in again.err
    assert (run_file.read_bytes(), run_file.stat().st_mtime_ns) == stamp  # no MD
    assert results.is_file() and len(results.read_text()) > len(before) // 2
