#!/usr/bin/env bash
# The README's run command: set up .venv, migrate the embedded SQLite database, load the demo county,
# start the MQTT ingest worker and simulated terminals (when Mosquitto is available), and serve.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/bootstrap.sh" terminal
cd "$root"
exec "$root/.venv/bin/pingyi" run "$@"
