#!/usr/bin/env bash
# The README's test command: install what the tests need, run the lint and type gates, make sure PostgreSQL
# and Mosquitto are up, and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
command -v mosquitto >/dev/null 2>&1 || need_apt+=(mosquitto mosquitto-clients)
command -v mosquitto_passwd >/dev/null 2>&1 || need_apt+=(mosquitto)
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
command -v pdfinfo >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need_apt+=(zbar-tools)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages the tests use: ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

"$root/deploy/bootstrap.sh" test,terminal

# Gates (docs/architecture.md, "Gates"): ruff on the whole tree, then mypy --strict on the folders that
# pyproject.toml's [tool.mypy] `files` lists. Either one failing fails the command, with its findings above.
if ! "$root/.venv/bin/ruff" check .; then
  echo "tests/run.sh: ruff found the problems above; the tests did not run." >&2
  exit 1
fi
if ! "$root/.venv/bin/mypy"; then
  echo "tests/run.sh: mypy --strict found the problems above; the tests did not run." >&2
  exit 1
fi

"$root/deploy/services.sh" ensure

export PYTHONDONTWRITEBYTECODE=1
exec "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
