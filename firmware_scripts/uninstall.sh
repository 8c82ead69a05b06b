#!/bin/sh
# Remove the pingyi terminal agent (SPEC §4).
#
#   sudo ./uninstall.sh [--purge]
#
# Stops and removes the systemd unit and /opt/pingyi-terminal. The config (/etc/pingyi-terminal) and the outbox
# (/var/lib/pingyi-terminal: events not yet acknowledged by the platform!) are kept unless --purge is given.
set -eu

PURGE=0
case "${1:-}" in
    "") ;;
    --purge) PURGE=1 ;;
    *)
        echo "usage: sudo $0 [--purge]" >&2
        exit 2
        ;;
esac
if [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh: run as root (sudo)" >&2
    exit 1
fi

UNIT=/etc/systemd/system/pingyi-terminal.service
if [ -f "$UNIT" ]; then
    systemctl disable --now pingyi-terminal.service || true
    rm -f "$UNIT"
    systemctl daemon-reload
fi
rm -rf /opt/pingyi-terminal

if [ "$PURGE" -eq 1 ]; then
    rm -rf /etc/pingyi-terminal /var/lib/pingyi-terminal
    if id pingyi-terminal >/dev/null 2>&1; then
        userdel pingyi-terminal || true
    fi
    echo "removed the agent, its config and its outbox"
else
    echo "removed the agent; kept /etc/pingyi-terminal and /var/lib/pingyi-terminal (use --purge to remove)"
fi
