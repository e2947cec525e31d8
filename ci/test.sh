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
# The Dask backend is opt-in (all of its tests take minutes, three trainings in
# test_training.py and the gradient checks most of them): a few seconds' worth of it here,
# the forward and backward passes, losses, optimizers and the course's functions
if [ "$#" -eq 0 ] && [ "$status" -eq 0 ]; then
    "$VENV/bin/python" -m pytest -q --backend-dask -k dask \
        tests/test_network.py tests/test_losses.py tests/test_activations.py \
        tests/test_optimizers.py tests/test_minibatches.py tests/test_initializers.py \
        tests/test_course.py tests/test_validation.py
    status=$?
fi
set -e
if [ "$status" -eq 5 ]; then
    echo "ci: pytest collected no tests; failing" >&2
    exit 1
fi
exit "$status"
