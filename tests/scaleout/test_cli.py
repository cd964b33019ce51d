"""The command-line pieces: smoke campaign, status, --executor options."""

from __future__ import annotations

import argparse

import pytest

from ionmd.cli import main as ionmd_main
from ionmd.cli.executor_args import add_executor_arguments, executor_config_from_args
from ionmd.cli.scaleout import main
from ionmd.cli.status import register
from ionmd.errors import InputError


def test_smoke_then_status(tmp_path, capsys):
    config = tmp_path / "exec.toml"
    config.write_text('[executor]\nkind = "threads"\nmax_workers = 2\n')
    args = ["smoke", str(tmp_path / "out"), "--batches", "2", "--sleep-s", "0"]
    assert ionmd_main(["scaleout", *args, "--executor-config", str(config)]) == 0
    assert main(["status", str(tmp_path / "out")]) == 0  # python -m ionmd.cli.scaleout
    text = capsys.readouterr().out
    assert "0 pending, 0 running, 3 done, 0 failed" in text


def test_status_subcommand_for_the_dispatcher(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="ionmd")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["status", str(tmp_path)])
    with pytest.raises(InputError, match="no scale-out state"):
        args.func(args)


def test_executor_flag_overrides_the_campaign_table(tmp_path):
    parser = argparse.ArgumentParser()
    add_executor_arguments(parser)
    table = {"kind": "local", "max_workers": 3}
    args = parser.parse_args(["--executor", "threads"])
    config = executor_config_from_args(args, campaign_table=table)
    assert (config.kind, config.max_workers) == ("threads", 3)
    bad = tmp_path / "bad.toml"
    bad.write_text("[executor]\nkind = 'slurm'\npartion = 'gpu'\n")
    args = parser.parse_args(["--executor-config", str(bad)])
    with pytest.raises(InputError, match="did you mean 'partition'"):
        executor_config_from_args(args, campaign_table=table)
