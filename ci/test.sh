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
set -e
if [ "$status" -eq 5 ]; then
    echo "ci: pytest collected no tests; failing" >&2
    exit 1
fi
exit "$status"
