"""Messages go through ``logging`` with one handler that only the CLI (or a
notebook's ``ionmd.log.configure()``) installs: on the command line each message
is printed once as ``ionmd: ...``; a library call without it prints nothing at
INFO."""

from __future__ import annotations

import logging

import pytest

from ionmd import log as ionmd_log
from ionmd.report.analysis_files import analyse_paths

from .tiny import ionmd, keep_signal_handlers, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("keep_signal_handlers")


@pytest.fixture
def no_ionmd_handler():
    """The ``ionmd`` logger as a fresh interpreter has it (no handler), restored after."""
    root = logging.getLogger(ionmd_log.ROOT)
    saved = (list(root.handlers), root.level, root.propagate)
    root.handlers.clear()
    root.setLevel(logging.NOTSET)
    root.propagate = True
    yield root
    root.handlers[:], root.level, root.propagate = saved


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("logging")
    assert (
        ionmd("run", str(write_config(tmp, "run", duration_ps=1.0)), "--no-analysis") == 0
    )
    return tmp / "run" / "md.h5"


def _lines(err: str, text: str) -> list[str]:
    return [line for line in err.splitlines() if text in line]


def test_cli_prints_each_message_once_through_the_handler(tmp_path, capsys, run_file):
    capsys.readouterr()
    assert ionmd("run", str(write_config(tmp_path, "r")), "--no-analysis") == 0
    batch = _lines(capsys.readouterr().err, "batch 1/1")
    assert len(batch) == 1 and batch[0].startswith("ionmd: batch 1/1: 1 systems")
    for i in range(2):  # a second command in the same process adds no second handler
        assert ionmd("analyze", str(run_file), "--out", str(tmp_path / f"an{i}")) == 0
        analysing = _lines(capsys.readouterr().err, "analysing lj_li at 30 K")
        assert analysing == [analysing[0]] and analysing[0].startswith("ionmd: analysing")
    ours = [
        h
        for h in logging.getLogger(ionmd_log.ROOT).handlers
        if h.get_name() == ionmd_log._HANDLER_NAME
    ]
    assert len(ours) == 1


def test_library_call_prints_nothing_at_info_unless_configured(
    tmp_path, capsys, run_file, no_ionmd_handler
):
    analyse_paths(paths=[run_file], out_dir=tmp_path / "a", figures=False, verbose=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    ionmd_log.configure()
    analyse_paths(paths=[run_file], out_dir=tmp_path / "b", figures=False, verbose=True)
    assert _lines(capsys.readouterr().err, "ionmd: analysing lj_li at 30 K")


def test_handler_follows_sys_stderr_even_when_the_old_one_was_closed(
    tmp_path, monkeypatch, no_ionmd_handler
):
    """pytest (or a notebook) replaces and closes stderr between commands: the one
    handler writes to the stderr of the moment and never touches the old one."""
    ionmd_log.configure()
    log = ionmd_log.get_logger("ionmd.test")
    with open(tmp_path / "first", "w") as first:
        monkeypatch.setattr("sys.stderr", first)
        log.info("one")
    with open(tmp_path / "second", "w") as second:  # `first` is closed now
        monkeypatch.setattr("sys.stderr", second)
        log.info("two")
    assert (tmp_path / "second").read_text() == "ionmd: two\n"
