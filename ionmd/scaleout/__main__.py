"""``python -m ionmd.scaleout status|smoke ...``: the command line is
:mod:`ionmd.cli.scaleout`; this entry point only calls it."""

from ionmd.cli.scaleout import main

if __name__ == "__main__":
    raise SystemExit(main())
