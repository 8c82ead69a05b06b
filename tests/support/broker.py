"""Test support layer: run a private Mosquitto from the project's deploy/mosquitto/mosquitto.conf (SPEC §4).

Used by the integration tests and the benchmarks (never by the product): the project's settings (queue limits,
persistence) are kept; paths, listener and authentication are rewritten for a scratch directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from pingyi.settings import REPO_ROOT

PROJECT_CONF = REPO_ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
_REWRITTEN = {"pid_file", "persistence_location", "password_file", "acl_file", "allow_anonymous", "listener",
              "protocol", "log_dest", "cafile", "certfile", "keyfile", "tls_version", "require_certificate", "user"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_conf(workdir: Path, port: int, *, auth: bool, base: Path = PROJECT_CONF) -> str:
    kept = [ln for ln in base.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#") and ln.split()[0] not in _REWRITTEN]
    out = kept + [f"pid_file {workdir / 'mosquitto.pid'}", f"persistence_location {workdir / 'data'}/",
                  f"log_dest file {workdir / 'mosquitto.log'}", f"listener {port} 127.0.0.1"]
    bind = [ln for ln in out if ln.split()[0] == "use_username_as_clientid"]
    out = [ln for ln in out if ln.split()[0] != "use_username_as_clientid"]
    if auth:  # a listener option, so after the listener line; anonymous clients have no username to bind
        out += bind
        out += ["allow_anonymous false", f"password_file {workdir / 'passwd'}", f"acl_file {workdir / 'acl'}"]
    else:
        out += ["allow_anonymous true"]
    return "\n".join(out) + "\n"


class Mosquitto:
    """A private broker process; start() waits until the port accepts, stop() by its pid."""

    def __init__(self, workdir: Path, port: int | None = None, *, auth: bool = False) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.auth = auth
        self.proc: subprocess.Popen[bytes] | None = None
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(exist_ok=True)
        for p in (self.workdir, self.workdir / "data"):
            os.chmod(p, 0o777)  # the broker drops to user `mosquitto` when started as root
        for parent in self.workdir.resolve().parents:  # scratch dirs (mkdtemp is 0700) must be traversable
            if parent != Path("/") and parent.stat().st_uid == os.geteuid() and not parent.stat().st_mode & 0o001:
                os.chmod(parent, parent.stat().st_mode | 0o011)
        for name in ("passwd", "acl"):
            f = self.workdir / name
            if auth and not f.exists():
                f.write_text("")
                os.chmod(f, 0o644)
        self.conf = self.workdir / "mosquitto.conf"
        self.conf.write_text(render_conf(self.workdir, self.port, auth=auth))
        os.chmod(self.conf, 0o644)

    @property
    def password_file(self) -> Path:
        return self.workdir / "passwd"

    @property
    def acl_file(self) -> Path:
        return self.workdir / "acl"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "mosquitto.pid"

    def start(self, timeout: float = 10.0) -> Mosquitto:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {err} {self.log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log()[-2000:]}")

    def reload(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # clean stop: persistence is written
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        f = self.workdir / "mosquitto.log"
        return f.read_text(errors="replace") if f.exists() else ""

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
