"""``python -m xpnet.benchmarks``: the same as ``xpnet bench``."""

from . import main

raise SystemExit(main())
