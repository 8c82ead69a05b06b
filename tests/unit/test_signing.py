"""The office's bulletin key files (publication/signing.py, docs/bulletin.md "The office's key"): private, one
current key under concurrency, rotation deletes the retired private half and keeps its public half listed."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime

from pingyi.core import bulletin_check, ed25519
from pingyi.publication import signing

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_the_key_is_private_and_signs_what_the_pure_verifier_accepts(tmp_path) -> None:
    entry, created = signing.ensure_key(tmp_path, NOW)
    assert created and signing.ensure_key(tmp_path, NOW) == (entry, False)
    folder = signing.key_dir(tmp_path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    signed = {"file_sha256": "0" * 64, "year": 2025}
    document = json.loads(signing.sign(tmp_path, entry, signed))
    assert document["key_id"] == entry["key_id"] == bulletin_check.key_id(signing.public_bytes(entry))
    assert ed25519.verify(signing.public_bytes(entry), bulletin_check.signing_input(signed),
                          bulletin_check._b64(document["signature"]) or b"")


def test_concurrent_first_use_makes_one_key(tmp_path) -> None:
    results: list[dict] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(signing.ensure_key(tmp_path, NOW)[0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r["key_id"] for r in results}) == 1 and len(signing.registry(tmp_path)) == 1


def test_rotation_retires_and_deletes_the_old_private_key(tmp_path) -> None:
    old, _ = signing.ensure_key(tmp_path, NOW)
    new, retired = signing.rotate(tmp_path, datetime(2027, 1, 5, tzinfo=UTC))
    assert retired is not None and retired["key_id"] == old["key_id"] and retired["retired_at"].startswith("2027-01-05")
    assert not (signing.key_dir(tmp_path) / f"ed25519-{old['key_id']}.key").exists()
    assert signing.current(tmp_path)["key_id"] == new["key_id"] != old["key_id"]
    assert [e["key_id"] for e in signing.registry(tmp_path)] == [old["key_id"], new["key_id"]]


def test_a_lost_private_key_is_retired_and_replaced(tmp_path) -> None:
    old, _ = signing.ensure_key(tmp_path, NOW)
    (signing.key_dir(tmp_path) / f"ed25519-{old['key_id']}.key").unlink()
    new, created = signing.ensure_key(tmp_path, NOW)
    assert created and new["key_id"] != old["key_id"]
    assert signing.registry(tmp_path)[0]["retired_at"] is not None
