"""Core layer: the hash-chained, append-only audit log (SPEC §7).

Each record's hash covers its own fields and the previous record's hash, over canonical JSON; the first
record's prev_hash is GENESIS ("0" × 64) and its seq is 1. Changing, deleting, inserting or reordering a record
breaks the chain; deleting the newest records is only visible against a separately kept head hash
(`verify_chain(records, expected_head=...)`), e.g. one published with each snapshot or printed in a report.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pingyi.core.errors import InvalidInput
from pingyi.core.snapshot import canonical_json, to_plain

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry. `at` is an ISO 8601 UTC timestamp; `detail` holds JSON-native values only."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def format_at(at: _dt.datetime | str) -> str:
    """ISO 8601 in UTC ("2024-12-16T08:30:00+00:00"). A naive datetime is refused: time must carry its zone."""
    if isinstance(at, str):
        try:
            parsed = _dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"审计时间格式不正确：{at}", {"field": "at"}) from None
        at = parsed
    if not isinstance(at, _dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("审计时间必须带时区（UTC）。", {"field": "at"})
    return at.astimezone(_dt.UTC).isoformat()


def chain_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str,
               detail: Mapping[str, Any]) -> str:
    """sha256 hex over the canonical JSON of all fields and the previous hash."""
    payload = {
        "prev_hash": prev_hash, "seq": seq, "at": at, "actor": actor,
        "action": action, "subject": subject, "detail": dict(detail),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def next_record(prev: AuditRecord | None, at: _dt.datetime | str, actor: str, action: str, subject: str,
                detail: Mapping[str, Any] | None = None) -> AuditRecord:
    """The record that follows `prev` (or the first one). `detail` is stored in its JSON-native form, so a
    record reloaded from a JSON column hashes the same."""
    if not actor or not action:
        raise InvalidInput("审计记录必须注明操作人和操作。")
    plain = to_plain(dict(detail or {}))
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS if prev is None else prev.hash
    stamp = format_at(at)
    return AuditRecord(seq, stamp, actor, action, subject, plain, prev_hash,
                       chain_hash(prev_hash, seq, stamp, actor, action, subject, plain))


def verify_chain(records: Sequence[AuditRecord], expected_head: str | None = None) -> list[str]:
    """Problems found in `records` (the whole log, in stored order); empty when intact.

    `expected_head` is the hash of the newest record as kept elsewhere; without it a truncated tail cannot be
    told from a short log.
    """
    problems: list[str] = []
    previous: AuditRecord | None = None
    for index, rec in enumerate(records):
        expected_seq = 1 if previous is None else previous.seq + 1
        expected_prev = GENESIS if previous is None else previous.hash
        recomputed = chain_hash(rec.prev_hash, rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.detail)
        if recomputed != rec.hash:
            problems.append(f"第 {rec.seq} 号记录内容与其哈希不符：记录被修改过。")
        if rec.seq != expected_seq:
            if previous is not None and rec.seq <= previous.seq:
                problems.append(f"第 {rec.seq} 号记录出现在第 {previous.seq} 号之后：记录顺序被调换。")
            elif rec.seq > expected_seq:
                missing = (f"第 {expected_seq} 号" if rec.seq == expected_seq + 1
                           else f"第 {expected_seq}–{rec.seq - 1} 号")
                problems.append(f"缺少{missing}记录：记录被删除。")
            else:
                problems.append(f"第 {index + 1} 条记录的序号 {rec.seq} 不正确。")
        if rec.prev_hash != expected_prev:
            problems.append(f"第 {rec.seq} 号记录与前一条记录的哈希链接不上。")
        previous = rec
    if expected_head is not None:
        head = previous.hash if previous is not None else GENESIS
        if head != expected_head:
            problems.append("日志末尾与另行保存的链头哈希不符：最新的记录被删除或修改过。")
    return problems


def format_head(record: AuditRecord | None) -> str:
    """The chain head as kept elsewhere (snapshots, publications, `pingyi audit head`): "<seq>:<hash>"."""
    return f"0:{GENESIS}" if record is None else f"{record.seq}:{record.hash}"


def parse_head(head: str) -> tuple[int, str]:
    seq, sep, digest = head.strip().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput("链头格式应为 “序号:64 位十六进制哈希”，例如 pingyi audit head 的输出。")
    return int(seq), digest


def verify_against_head(records: Sequence[AuditRecord], head: str) -> list[str]:
    """Problems of `records` (the whole log, in order) against a head kept elsewhere at some earlier moment: the
    log may have grown since, but the record that was the head must still be there with the same hash. Deleting
    the newest records, or rewriting a record and every hash after it, is caught here when the head is newer than
    the change."""
    seq, digest = parse_head(head)
    problems = verify_chain(records)
    if seq == 0:
        return problems
    kept = next((r for r in records if r.seq == seq), None)
    if kept is None:
        problems.append(f"另行保存的链头是第 {seq} 号记录，日志中已没有这条记录：最新的记录被删除。")
    elif kept.hash != digest:
        problems.append(f"第 {seq} 号记录的哈希与另行保存的链头不符：这条或更早的记录被改写过。")
    return problems
