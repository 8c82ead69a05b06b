#!/usr/bin/env bash
# Make sure the PostgreSQL and Mosquitto the tests use are reachable; start local ones if they are down.
# Usage: deploy/services.sh ensure
set -euo pipefail
pg_host="${PINGYI_TEST_PG_HOST:-127.0.0.1}"
pg_port="${PINGYI_TEST_PG_PORT:-5432}"
mqtt_port="${PINGYI_TEST_MQTT_PORT:-1883}"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 50); do
    if port_open "$1" "$2"; then return 0; fi
    sleep 0.2
  done
  return 1
}

if ! port_open "$pg_host" "$pg_port"; then
  echo "PostgreSQL is down on $pg_host:$pg_port; starting it"
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | head -n 1)" main start || true
  fi
  wait_port "$pg_host" "$pg_port" || { echo "PostgreSQL could not be started on $pg_host:$pg_port" >&2; exit 1; }
fi
if ! port_open 127.0.0.1 "$mqtt_port"; then
  echo "Mosquitto is down on 127.0.0.1:$mqtt_port; starting it"
  if [ -f /etc/mosquitto/mosquitto.conf ]; then
    mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
  else
    mosquitto -d -p "$mqtt_port" || true
  fi
  wait_port 127.0.0.1 "$mqtt_port" || { echo "Mosquitto could not be started on port $mqtt_port" >&2; exit 1; }
fi
