"""Unit tests for pingyi.core.audit (SPEC §7): the hash chain detects changed, deleted and reordered entries."""

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from itertools import pairwise

import pytest

from pingyi.core.audit import GENESIS, AuditRecord, chain_hash, next_record, verify_chain
from pingyi.core.errors import InvalidInput

T0 = dt.datetime(2024, 12, 16, 8, 30, tzinfo=dt.UTC)


def build(n=5):
    records, prev = [], None
    for i in range(n):
        prev = next_record(prev, T0 + dt.timedelta(minutes=i), "admin", "complaint.decide", f"C-{i}",
                           {"state": "substantiated", "score": Decimal("65.67"), "人": "张三"})
        records.append(prev)
    return records


def test_intact_chain_verifies():
    records = build()
    assert records[0].seq == 1 and records[0].prev_hash == GENESIS
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(records))
    assert verify_chain(records) == []
    assert verify_chain(records, expected_head=records[-1].hash) == []
    assert verify_chain([]) == [] and verify_chain([], expected_head=GENESIS) == []


def test_detail_is_stored_json_native_and_survives_reload():
    records = build(2)
    assert records[0].detail["score"] == "65.67"
    reloaded = [dataclasses.replace(r, detail=json.loads(json.dumps(r.detail))) for r in records]
    assert verify_chain(reloaded) == []


def test_hash_covers_every_field():
    r = build(1)[0]
    base = chain_hash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.subject, r.detail)
    assert base == r.hash and len(base) == 64
    assert chain_hash(r.prev_hash, r.seq, r.at, "other", r.action, r.subject, r.detail) != base
    assert chain_hash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.subject, {**r.detail, "x": 1}) != base
    assert chain_hash("1" * 64, r.seq, r.at, r.actor, r.action, r.subject, r.detail) != base


@pytest.mark.parametrize("field, value", [("detail", {"state": "unsubstantiated"}), ("actor", "mallory"),
                                          ("at", "2024-12-17T00:00:00+00:00"), ("subject", "C-9")])
def test_changed_entry_detected(field, value):
    records = build()
    records[2] = dataclasses.replace(records[2], **{field: value})
    problems = verify_chain(records)
    assert any("第 3 号记录" in p and "修改" in p for p in problems)


def test_rehashed_changed_entry_still_breaks_the_link():
    records = build()
    r = records[2]
    forged = dataclasses.replace(r, detail={"state": "x"})
    forged = dataclasses.replace(forged, hash=chain_hash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.subject,
                                                          forged.detail))
    records[2] = forged
    assert any("第 4 号记录与前一条记录的哈希链接不上" in p for p in verify_chain(records))


def test_deleted_middle_entry_detected():
    records = build()
    del records[2]
    problems = verify_chain(records)
    assert any("缺少第 3 号记录" in p for p in problems)


def test_deleted_last_entry_needs_head_hash():
    records = build()
    head = records[-1].hash
    truncated = records[:-1]
    assert verify_chain(truncated) == []  # undetectable on its own
    assert any("链头" in p for p in verify_chain(truncated, expected_head=head))


def test_reordered_entries_detected():
    records = build()
    records[1], records[2] = records[2], records[1]
    problems = verify_chain(records)
    assert any("顺序被调换" in p for p in problems)


def test_deleted_first_entry_detected():
    records = build()[1:]
    assert verify_chain(records)


def test_time_must_be_aware_and_is_normalized_to_utc():
    r = next_record(None, dt.datetime(2024, 12, 16, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
                    "admin", "publish", "S1")
    assert r.at == "2024-12-16T08:30:00+00:00"
    assert next_record(None, "2024-12-16T08:30:00Z", "admin", "publish", "S1").at == r.at
    with pytest.raises(InvalidInput):
        next_record(None, dt.datetime(2024, 12, 16), "admin", "publish", "S1")
    with pytest.raises(InvalidInput):
        next_record(None, "yesterday", "admin", "publish", "S1")
    with pytest.raises(InvalidInput):
        next_record(None, T0, "", "publish", "S1")


def test_record_type():
    assert isinstance(build(1)[0], AuditRecord)
