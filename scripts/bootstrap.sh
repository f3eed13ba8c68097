#!/usr/bin/env bash
# Installs everything the demo and the tests need, from nothing but Python and the package
# registries: the project's virtual environment (.venv) with the tap and its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
.venv/bin/python -m pip install --quiet -e . --group dev
