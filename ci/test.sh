#!/usr/bin/env bash
# Install xpnet with its test extra into a fresh virtual environment and run pytest.
# Usage: ci/test.sh [pytest args...]   (VENV=path to reuse a venv; default: a new temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$(mktemp -d)/venv}
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test]"
"$VENV/bin/python" -c "import xpnet, sys; print('xpnet', xpnet.__version__, 'python', sys.version.split()[0])"
set +e
"$VENV/bin/python" -m pytest -q "$@"
status=$?
# xpnet.search on a real LocalCluster: dask.distributed is not in the test extra, since with
# dask importable every maths test also runs on the Dask backend (several times slower)
if [ "$#" -eq 0 ] && [ "$status" -eq 0 ]; then
    "$VENV/bin/python" -m pip install -q -e ".[dask]" && \
        "$VENV/bin/python" -m pytest -q tests/test_search_dask.py
    status=$?
fi
set -e
if [ "$status" -eq 5 ]; then
    echo "ci: pytest collected no tests; failing" >&2
    exit 1
fi
exit "$status"
