"""Infrastructure layer: broker entries for terminals — mosquitto password hashes, ACL file, terminal TOML (SPEC §4).

The password file holds one `user:$7$…` line per broker user (PBKDF2-SHA512, the format `mosquitto_passwd` writes).
The ACL file is regenerated as a whole from the list of active terminals, so a revoked terminal's lines vanish.
Files are replaced atomically and keep their owner and mode (the broker runs as user `mosquitto`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets as _secrets
import signal
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pingyi.core.errors import InvalidInput
from pingyi.datafiles import private_dir, write_private
from pingyi_terminal import protocol

GROUP_FILE = "ingest_group"
PBKDF2_ITERATIONS = 101  # mosquitto_passwd's default for $7$
INGEST_USER = "pingyi-ingest"

DEFAULT_PINS = {
    "five": {5: 5, 4: 6, 3: 13, 2: 19, 1: 26},
    "three": {5: 5, 3: 13, 1: 26},
}
DEFAULT_LED_PIN = 17
DEFAULT_ARM_PIN = 27


def ingest_group(data_dir: Path, configured: str = "") -> str:
    """The ingest workers' shared-subscription group: `configured` (PINGYI_INGEST_GROUP), else a secret name kept in
    data_dir/ingest_group (mode 600), generated on the first start, shared by every worker of the installation.

    Why a secret: Mosquitto 2.0's ACL file is not checked on SUBSCRIBE (security_default.c returns success for
    subscriptions), so a terminal may subscribe to `$share/<group>/pingyi/v1/t/+/event`. Delivery is checked
    against its read ACL, which refuses other terminals' topics — but the broker has already chosen that member of
    the group for the message, and drops it: the ingest would silently miss a share of all messages. A group
    name the terminal cannot know keeps it out of the ingest's group (its own groups receive nothing)."""
    if configured:
        name = configured
    else:
        path = data_dir / GROUP_FILE
        if not path.exists():
            private_dir(data_dir)
            with contextlib.suppress(FileExistsError):  # another worker of this installation wrote it first
                write_private(path, f"pingyi-ingest-{_secrets.token_hex(16)}".encode("ascii"))
        name = path.read_text(encoding="ascii").strip()
    try:
        protocol.shared("event", name)
    except protocol.ProtocolError:
        raise InvalidInput(f"MQTT 共享订阅组名 {name!r} 无效：不能为空，不能包含 / + #。") from None
    return name


def new_password() -> str:
    return _secrets.token_urlsafe(24)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A mosquitto 2.x `$7$` password hash (PBKDF2-HMAC-SHA512, 12-byte salt)."""
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, hashed: str) -> bool:
    try:
        _, kind, iterations, salt, digest = hashed.split("$")
    except ValueError:
        return False
    if kind != "7":
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
    return base64.b64encode(got).decode() == digest


def _atomic_write(path: Path, text: str, default_mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    st = path.stat() if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777 if st else default_mode)
        if st is not None and os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def set_password(path: Path, username: str, password: str) -> None:
    """Add or replace one user's line in a mosquitto password file."""
    _check_user(username)
    lines = [ln for ln in _read_lines(path) if ln.split(":", 1)[0] != username]
    lines.append(f"{username}:{hash_password(password)}")
    _atomic_write(path, "\n".join(lines) + "\n", 0o640)


def remove_password(path: Path, username: str) -> bool:
    lines = _read_lines(path)
    kept = [ln for ln in lines if ln.split(":", 1)[0] != username]
    if len(kept) != len(lines):
        _atomic_write(path, "\n".join(kept) + ("\n" if kept else ""), 0o640)
        return True
    return False


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _check_user(username: str) -> None:
    if not username or any(c in username for c in ": \t\r\n#"):
        raise InvalidInput(f"用户名 {username!r} 不能包含冒号、空白或 #。")


def terminal_acl(tid: str) -> list[str]:
    """A terminal may publish only its own event/status/heartbeat topics and read only its own ack and config."""
    return [f"user {tid}",
            *(f"topic write {protocol.topic_for(tid, k)}" for k in ("event", "status", "heartbeat")),
            *(f"topic read {protocol.topic_for(tid, k)}" for k in ("ack", "config"))]


def render_acl(terminal_ids: Iterable[str], ingest_user: str = INGEST_USER) -> str:
    _check_user(ingest_user)
    lines = ["# Generated by `pingyi terminals provision|revoke`; edits are overwritten.",
             "# The ingest worker reads every terminal's events, status and heartbeats and writes acks and config.",
             f"user {ingest_user}",
             *(f"topic read {protocol.topic_filter(k)}" for k in ("event", "status", "heartbeat")),
             *(f"topic write {protocol.topic_filter(k)}" for k in ("ack", "config")), ""]
    for tid in sorted(terminal_ids):
        lines.extend(terminal_acl(tid))
        lines.append("")
    return "\n".join(lines)


def write_acl(path: Path, terminal_ids: Iterable[str], ingest_user: str = INGEST_USER) -> None:
    _atomic_write(path, render_acl(terminal_ids, ingest_user), 0o644)


def reload_broker(pid_file: Path) -> int:
    """SIGHUP the broker so it re-reads the password and ACL files; returns its pid."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        raise InvalidInput(f"无法读取 Mosquitto 的 pid 文件 {pid_file}。") from None
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise InvalidInput(f"pid 文件 {pid_file} 中的进程 {pid} 不存在。") from None
    return pid


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def terminal_toml(tid: str, password: str, *, host: str, port: int, scale: str = "five", armed: bool = False,
                  tls: bool = False, ca_file: str | None = None, repeat_interval_s: float = 3.0) -> str:
    """The terminal's config file, in the format of pingyi_terminal.config (validated by the caller's tests)."""
    pins = DEFAULT_PINS[scale]
    out = [f"# pingyi terminal {tid} — generated by `pingyi terminals provision`; keep it mode 600.",
           f"terminal_id = {_toml_str(tid)}", f"scale = {_toml_str(scale)}",
           'outbox = "/var/lib/pingyi-terminal/outbox.sqlite3"', "",
           "[mqtt]", f"host = {_toml_str(host)}", f"port = {port}", f"username = {_toml_str(tid)}",
           f"password = {_toml_str(password)}"]
    if tls:
        out.append("tls = true")
        if ca_file:
            out.append(f"ca_file = {_toml_str(ca_file)}")
    else:
        out += ["# TLS: set tls = true, port = 8883 and ca_file = \"/etc/pingyi-terminal/ca.crt\""]
    out += ["", "[pins]", f"led = {DEFAULT_LED_PIN}"]
    if armed:
        out.append(f"arm = {DEFAULT_ARM_PIN}")
    out += ["", "[pins.buttons]", *(f'"{lv}" = {pin}' for lv, pin in pins.items()), "",
            "[rules]", f"armed_mode = {'true' if armed else 'false'}", f"repeat_interval_s = {repeat_interval_s}", ""]
    return "\n".join(out)
