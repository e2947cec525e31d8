"""``python -m xpnet``: the same command line as the ``xpnet`` console script."""

from .cli import main

raise SystemExit(main())
