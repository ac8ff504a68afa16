from hallops.cli import main

raise SystemExit(main())
