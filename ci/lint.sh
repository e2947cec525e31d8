#!/usr/bin/env bash
# ruff over the package and the tests, with the settings in pyproject.toml.
# Usage: ci/lint.sh   (VENV=path to reuse a venv; default: a new temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$(mktemp -d)/venv}
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip ruff
"$VENV/bin/ruff" --version
exec "$VENV/bin/ruff" check xpnet tests
