"""``python -m benchmarks.dft``."""

from benchmarks.dft.compare import main

raise SystemExit(main())
