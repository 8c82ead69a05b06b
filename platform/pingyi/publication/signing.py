"""Infrastructure layer: the office's bulletin signing key — Ed25519 via `cryptography` (SPEC §3, docs/bulletin.md).

Files, in `<data dir>/bulletin-keys/` (folder 0700, files 0600, see datafiles.py):
  `ed25519-<key id>.key`  the private key (PKCS #8 PEM, unencrypted: the service signs unattended), only the current
  `keys.json`             every public key ever used: key id, public key, created, retired (null for the current)

One key is current. Rotating makes a new current key, marks the old one retired and deletes its private half; its
public half stays listed (at /api/v1/bulletin/keys) so a bulletin signed before the rotation still verifies.
Generation and rotation hold an exclusive lock on `keys.lock`, so two processes never make two current keys.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pingyi.core import bulletin_check
from pingyi.datafiles import FILE_MODE, private_dir, write_private

FOLDER = "bulletin-keys"
REGISTRY = "keys.json"



def key_dir(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    private_dir(folder, tighten=True)
    fd = os.open(folder / "keys.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def registry(data_dir: Path) -> list[dict[str, Any]]:
    """Every key ever used, oldest first."""
    path = key_dir(data_dir) / REGISTRY
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")))


def _write_registry(folder: Path, entries: list[dict[str, Any]]) -> None:
    tmp = folder / f"{REGISTRY}.{os.getpid()}.tmp"
    if tmp.exists():
        tmp.unlink()
    write_private(tmp, json.dumps(entries, ensure_ascii=False, indent=2).encode("utf-8"))
    os.replace(tmp, folder / REGISTRY)


def current(data_dir: Path) -> dict[str, Any] | None:
    return next((e for e in reversed(registry(data_dir)) if e.get("retired_at") is None), None)


def _new_key(folder: Path, entries: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    kid = bulletin_check.key_id(public)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_private(folder / f"ed25519-{kid}.key", pem)
    entry = {"key_id": kid, "algorithm": bulletin_check.ALGORITHM,
             "public_key": bulletin_check.format_public_key(public).split()[1],
             "created_at": now.isoformat(timespec="seconds"), "retired_at": None}
    _write_registry(folder, [*entries, entry])
    return entry


def ensure_key(data_dir: Path, now: datetime) -> tuple[dict[str, Any], bool]:
    """The current key, made first if there is none; (entry, created)."""
    folder = key_dir(data_dir)
    with _locked(folder):
        found = current(data_dir)
        if found is not None and (folder / f"ed25519-{found['key_id']}.key").exists():
            return found, False
        entries = registry(data_dir)
        if found is not None:  # the private half is gone: the listed key can no longer sign, so retire it
            entries = [{**e, "retired_at": e["retired_at"] or now.isoformat(timespec="seconds")} for e in entries]
        return _new_key(folder, entries, now), True


def rotate(data_dir: Path, now: datetime) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Retire the current key (its private half is deleted) and make a new one; (new entry, retired entry)."""
    folder = key_dir(data_dir)
    with _locked(folder):
        entries = registry(data_dir)
        old = next((e for e in reversed(entries) if e.get("retired_at") is None), None)
        stamp = now.isoformat(timespec="seconds")
        entries = [{**e, "retired_at": e["retired_at"] or stamp} for e in entries]
        if old is not None:
            (folder / f"ed25519-{old['key_id']}.key").unlink(missing_ok=True)
            old = {**old, "retired_at": stamp}
        return _new_key(folder, entries, now), old


def _private_key(data_dir: Path, kid: str) -> Ed25519PrivateKey:
    pem = (key_dir(data_dir) / f"ed25519-{kid}.key").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"bulletin key {kid} is not an Ed25519 key")
    return key


def public_bytes(entry: dict[str, Any]) -> bytes:
    return bulletin_check.parse_public_key(str(entry["public_key"]))


def sign(data_dir: Path, entry: dict[str, Any], signed: dict[str, Any]) -> bytes:
    """The detached signature file (JSON bytes) of a manifest, by the key `entry` names."""
    key = _private_key(data_dir, entry["key_id"])
    signature = key.sign(bulletin_check.signing_input(signed))
    document = bulletin_check.signature_document(signed, public_bytes(entry), signature)
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
