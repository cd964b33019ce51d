"""Every path a command is told to write: a file's missing folders are made
(``ionmd export --out``, ``ionmd plan --json``, ``ionmd vasp collect --out``:
:func:`ionmd.outdir.output_file`), and a path that cannot be one is refused in
one line naming it, before any work (it was an OSError's errno text after the
work, or for ``ionmd compare --out`` a comparison written into /etc)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ionmd.cli import main
from ionmd.errors import InputError
from ionmd.outdir import output_file


def test_output_file_makes_missing_folders_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.json"
    assert output_file(target, what="f", create=False) == target
    assert not (tmp_path / "a").exists()  # a check creates nothing
    output_file(target, what="f")
    assert target.parent.is_dir() and not target.exists()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "is empty"),
        ("DIR", "is a directory; give a file name"),
        ("FILE/x", "lies under"),
        ("/proc/x.json", "not a disk"),
        ("x" * 300 + ".json", "the file system allows"),
        ("RO", "read-only"),
    ],
)
def test_output_file_refusals(tmp_path: Path, name: str, words: str) -> None:
    (tmp_path / "FILE").write_text("")
    (tmp_path / "RO").write_text("")
    os.chmod(tmp_path / "RO", 0o444)
    if os.geteuid() == 0 and name == "RO":
        pytest.skip("root writes a read-only file")
    path = {"DIR": str(tmp_path)}.get(name, name)
    path = path.replace("FILE", str(tmp_path / "FILE")).replace("RO", str(tmp_path / "RO"))
    with pytest.raises(InputError, match=words):
        output_file(path, what="test file")


def test_vasp_collect_out_checked_before_collecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "FILE").write_text("")
    out = tmp_path / "FILE" / "vasp_md.h5"
    assert main(["vasp", "collect", str(tmp_path / "nothing"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run file (--out)" in err, err


@pytest.mark.parametrize("out", ["/etc", "FILE/cmp"])
def test_compare_out_checked_before_reading_the_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str
) -> None:
    (tmp_path / "FILE").write_text("")
    out = out.replace("FILE", str(tmp_path / "FILE"))
    assert main(["compare", str(tmp_path / "no-run"), "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "comparison directory (--out)" in err, err


def test_plan_json_over_its_config_is_refused(tmp_path: Path, capsys) -> None:
    """``ionmd plan c.toml --json c.toml`` wrote the plan over the config."""
    cfg = tmp_path / "c.toml"
    text = 'materials = ["builtin:toy-fast"]\nmodel = "toy"\n'
    cfg.write_text(text)
    assert main(["plan", str(cfg), "--json", str(tmp_path / "." / "c.toml")]) == 2
    assert "is the input" in capsys.readouterr().err
    assert cfg.read_text() == text
