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
# A CJK font for the printed QR card sheets (web charts need none: SVG text is drawn by the browser). Without one,
# pingyi refuses to print the sheet rather than print empty boxes; install Debian's package when it is missing.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { $sudo_cmd apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
      || { $sudo_cmd apt-get update -qq >/dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1; }; }
  then
    echo "Installed fonts-wqy-microhei (Chinese font for the printed card sheets)."
  else
    echo "No Chinese font found and fonts-wqy-microhei could not be installed: card sheets (PDF) will be refused" >&2
    echo "until one is installed (apt-get install fonts-wqy-microhei, or set PINGYI_FONT_PATH to a CJK font)." >&2
  fi
fi
stamp="$root/.venv/.pingyi-installed-$extras"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  "$root/.venv/bin/python" -m pip install --quiet --upgrade pip
  "$root/.venv/bin/python" -m pip install --quiet -e "${root}[${extras}]"
  touch "$stamp"
fi
