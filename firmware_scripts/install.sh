#!/bin/sh
# Install the pingyi terminal agent on Raspberry Pi OS (SPEC §4).
#
#   sudo ./install.sh CONFIG [SOURCE]
#
# CONFIG  the config.toml printed by provisioning on the platform (installed to /etc/pingyi-terminal/, mode 600)
# SOURCE  optional: a wheel file or a source directory of the pingyi project; default: pingyi with the
#         'terminal' extra's requirements from the configured package index
#
# Creates /opt/pingyi-terminal/venv, the system user pingyi-terminal (member of gpio), installs and starts the
# systemd unit pingyi-terminal.service (Restart=always, WatchdogSec). Safe to run again to upgrade.
set -eu

PREFIX=/opt/pingyi-terminal
VENV="$PREFIX/venv"
ETC=/etc/pingyi-terminal
UNIT=/etc/systemd/system/pingyi-terminal.service
USER_NAME=pingyi-terminal
HERE=$(cd "$(dirname "$0")" && pwd)

die() {
    echo "install.sh: $*" >&2
    exit 1
}

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    die "usage: sudo $0 CONFIG [WHEEL_OR_SOURCE_DIR]"
fi
CONFIG=$1
SOURCE=${2:-}
[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
[ -f "$CONFIG" ] || die "no such config file: $CONFIG"
command -v python3 >/dev/null 2>&1 || die "python3 is missing: apt-get install -y python3 python3-venv"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "python 3.11 or later is needed"

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt-get install -y python3-venv
fi
# lgpio is the pin factory gpiozero uses on Raspberry Pi OS Bookworm; install it from the distribution when present
if command -v apt-get >/dev/null 2>&1; then
    apt-get install -y python3-lgpio >/dev/null 2>&1 || echo "install.sh: python3-lgpio not installed (not a Pi?)" >&2
fi

if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/pingyi-terminal --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
if getent group gpio >/dev/null 2>&1; then
    usermod -a -G gpio "$USER_NAME"
fi

mkdir -p "$PREFIX"
python3 -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
# The agent needs only gpiozero and paho-mqtt (the 'terminal' extra). The pingyi distribution's base
# dependencies are the platform's (Litestar, Piccolo, matplotlib …), which the agent never imports: install the
# extra's requirements, then the package itself without dependencies, to keep the Pi light.
"$VENV/bin/pip" install --quiet --upgrade 'gpiozero>=2.0' 'paho-mqtt>=2.1,<3'
if [ -z "$SOURCE" ]; then
    "$VENV/bin/pip" install --quiet --upgrade --no-deps pingyi
elif [ -e "$SOURCE" ]; then
    "$VENV/bin/pip" install --quiet --upgrade --no-deps "$SOURCE"
else
    die "no such wheel or source directory: $SOURCE"
fi
"$VENV/bin/python" -c 'import pingyi_terminal.agent' || die "the agent does not import after installation"

# docs and the self-test wrapper next to the venv
mkdir -p "$PREFIX/docs"
for doc in terminal.md terminal-protocol.md; do
    if [ -f "$HERE/../docs/$doc" ]; then
        cp "$HERE/../docs/$doc" "$PREFIX/docs/$doc"
    fi
done
install -m 0755 "$HERE/selftest" "$PREFIX/selftest"

install -d -m 0750 -o root -g "$USER_NAME" "$ETC"
install -m 0600 -o "$USER_NAME" -g "$USER_NAME" "$CONFIG" "$ETC/config.toml"
"$VENV/bin/pingyi-terminal" check-config --config "$ETC/config.toml" || die "the config does not validate"

install -m 0644 "$HERE/pingyi-terminal.service" "$UNIT"
systemctl daemon-reload
systemctl enable pingyi-terminal.service
systemctl restart pingyi-terminal.service
echo "installed: systemctl status pingyi-terminal; logs: journalctl -u pingyi-terminal -f"
echo "self-test: sudo $PREFIX/selftest"
