from ionmd.cli import main

raise SystemExit(main())
