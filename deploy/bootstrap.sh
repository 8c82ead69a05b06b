#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv and install pingyi into it.
# Usage: deploy/bootstrap.sh [extras]   e.g. deploy/bootstrap.sh test,terminal
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-terminal}"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "pingyi needs Python 3.11 or newer (found: $("$py" --version 2>&1))." >&2
  exit 2
fi
if [ ! -x "$root/.venv/bin/python" ]; then
  "$py" -m venv "$root/.venv"
fi
stamp="$root/.venv/.pingyi-installed-$extras"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  "$root/.venv/bin/python" -m pip install --quiet --upgrade pip
  "$root/.venv/bin/python" -m pip install --quiet -e "${root}[${extras}]"
  touch "$stamp"
fi
