#!/usr/bin/env bash
# ruff (package and tests) and mypy (package), at the versions pinned in the "lint" extra,
# with the settings in pyproject.toml.
# Usage: ci/lint.sh   (VENV=path to reuse a venv; default: a new temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$(mktemp -d)/venv}
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[lint]"
"$VENV/bin/ruff" --version
"$VENV/bin/ruff" check xpnet tests
"$VENV/bin/mypy" --version
"$VENV/bin/mypy"
