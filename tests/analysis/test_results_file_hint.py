"""What a folder without results.json is told to do (``ionmd compare``,
``ionmd.Results.from_dir``, ``dft_runs``: one reader)."""

import json

from ionmd.cli import main


def test_compare_of_a_stopped_campaign_says_to_finish_it(tmp_path, capsys):
    """A campaign stopped by SIGTERM (campaign.json status running, no
    results.json) was answered "run `ionmd analyze` on it first", which finds no
    complete trajectory there; the campaign's own re-run is what finishes it."""
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    (stopped / "campaign.json").write_text(json.dumps({"status": "running"}))
    assert main(["compare", str(stopped), "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "has not finished (status running)" in err and "ionmd run" in err


def test_a_folder_without_a_campaign_is_still_told_to_analyse(tmp_path, capsys):
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "cmp")]) == 2
    assert "run `ionmd analyze` on it first" in capsys.readouterr().err
