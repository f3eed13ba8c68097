#!/usr/bin/env bash
# Installs everything the demo and the tests need, from nothing but Python and the package
# registries: the project's virtual environment (.venv) with the tap and its dev tools, and
# the pipeline tools, each in a virtualenv of its own (pins: pyproject.toml dependency groups).
#
#   .venv                    the tap, dev tools, psycopg (test client) and uv
#   .venv-meltano            Meltano; `meltano install` puts the plugins under .meltano/
#   .venv-targets/<name>     target-postgres, target-csv, target-jsonl for shell pipes
#   .venv-airbyte            PyAirbyte, which drives `source-webinars` in the tests
#   .venv-dbt                dbt (postgres, duckdb) for the analytics package in analytics/
#
# PostgreSQL's server binaries come from Debian's postgresql package (installed if missing);
# the tests and the demo start throwaway servers of their own, never a system service.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
.venv/bin/python -m pip install --quiet -e . --group dev --group pipelines

# ------------------------------------------------------------------- pipeline tools
UV=.venv/bin/uv
BASE_PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')

# tool_venv DIR GROUP: a virtualenv at DIR with pyproject.toml's dependency group GROUP.
tool_venv() {
  if [ ! -x "$1/bin/python" ]; then
    "$UV" venv --quiet --python "$BASE_PYTHON" "$1"
  fi
  "$UV" pip install --quiet --python "$1/bin/python" --group "pyproject.toml:$2"
}

tool_venv .venv-meltano meltano
tool_venv .venv-targets/postgres target-postgres
tool_venv .venv-targets/csv target-csv
tool_venv .venv-targets/jsonl target-jsonl
tool_venv .venv-airbyte airbyte
tool_venv .venv-dbt dbt

# Meltano's plugins (tap-webinars from this checkout, the three loaders, from their lock files
# in plugins/): one virtualenv each under .meltano/ (a re-run takes seconds).
MELTANO_SEND_ANONYMOUS_USAGE_STATS=false .venv-meltano/bin/meltano --log-level=warning install

# -------------------------------------------------------------------------- PostgreSQL
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && [ -z "${PG_BIN:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian's postgresql package (server binaries for the tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "bootstrap: PostgreSQL server binaries are missing; run: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
fi
