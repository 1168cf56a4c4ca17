"""``python -m toolkit``: see toolkit.cli."""

from toolkit.cli import main

raise SystemExit(main())
