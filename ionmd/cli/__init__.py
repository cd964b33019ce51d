"""The ``ionmd`` command line: one module per subcommand, each with
``register(subparsers)`` that adds its parser and sets ``func(args) -> int``.

Subcommand modules are imported lazily so ``ionmd --help`` stays fast and a
GPU box without analysis-only packages can still ``ionmd run``.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from collections.abc import Sequence

from ionmd import __version__
from ionmd.log import configure as configure_logging

#: subcommand name -> module that registers it
SUBCOMMANDS: dict[str, str] = {
    "run": "ionmd.cli.run",
    "plan": "ionmd.cli.plan",
    "demo": "ionmd.cli.demo",
    "analyze": "ionmd.cli.analyze",
    "vasp": "ionmd.cli.vasp",
    "bench": "ionmd.cli.bench",
    "status": "ionmd.cli.status",
    "compare": "ionmd.cli.compare",
    "export": "ionmd.cli.export",
    "scaleout": "ionmd.cli.scaleout",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ionmd",
        description="Batched MD and analysis for the ionic conductivity of Li solid "
        "electrolytes.",
    )
    parser.add_argument("--version", action="version", version=f"ionmd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=f"(see `ionmd {name} --help`)")
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("ionmd.cli."):
                continue  # subcommand not built yet
            raise
        mod.register(sub)
    return parser


def _quiet_third_party_warnings() -> None:
    """Deprecation chatter from torch/e3nn/mace imports says nothing to a user."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*weights_only.*")
    warnings.filterwarnings("ignore", message=".*cuequivariance.*")
    # e3nn's TorchScript compile, 5 times on every mace-tiny / MACE load
    warnings.filterwarnings("ignore", message=".*TorchScript type system.*")


#: OS errors that say a path the user gave is unusable (one line, exit 2)
_PATH_ERRNOS = frozenset(
    {errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTDIR, errno.EISDIR, errno.EACCES}
)


def _path_error(exc: OSError) -> str:
    name = str(exc.filename) if exc.filename is not None else ""
    if len(name) > 120:
        name = f"{name[:60]}…({len(name)} characters)"
    return f"{name}: {exc.strerror}" if name else str(exc.strerror or exc)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _quiet_third_party_warnings()
    configure_logging()
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command if command in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    from ionmd import interrupts
    from ionmd.errors import IonmdError
    from ionmd.log import configure
    from ionmd.outputs import OutputError

    configure()  # the one handler: ionmd's log messages as "ionmd: ..." on stderr
    interrupts.install()
    from ionmd.caller import called_from

    try:
        with called_from("cli"):  # messages name --force, not force=True
            return int(args.func(args) or 0)
    except OutputError as exc:  # disk full, read-only: not the input's fault
        print(f"ionmd {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (IonmdError, FileNotFoundError) as exc:
        print(f"ionmd {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except interrupts.Interrupted as exc:
        print(f"ionmd {args.command}: {exc.message}", file=sys.stderr)
        return exc.exit_status
    except OSError as exc:
        if exc.errno not in _PATH_ERRNOS:
            raise
        print(f"ionmd {args.command}: error: {_path_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ionmd {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
