"""Infrastructure layer: snapshot and publication rows become SnapshotRecord / PublicationRecord here (SPEC §6)."""

from __future__ import annotations

import json
from typing import Any

from .schemas import PublicationRecord, SnapshotRecord
from .tables import Publication, Snapshot


def _load(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


def _snapshot(r: dict[str, Any], public_id: int | None = None) -> SnapshotRecord:
    return SnapshotRecord(id=r["id"], version=r["version"], digest=r["digest"], payload=_load(r["payload"]),
                          reason=r["reason"], created_by=r["created_by"], created_at=r["created_at"],
                          is_public=public_id == r["id"])


async def latest_version(campaign_id: int) -> int | None:
    row = await Snapshot.select(Snapshot.version).where(Snapshot.campaign == campaign_id)\
        .order_by(Snapshot.version, ascending=False).first()
    return int(row["version"]) if row else None


async def insert_snapshot(campaign_id: int, version: int, digest: str, payload: dict[str, Any], reason: str,
                          actor: str) -> None:
    await Snapshot(key=f"{campaign_id}:{version}", campaign=campaign_id, version=version, digest=digest,
                   payload=json.dumps(payload, ensure_ascii=False), reason=reason, created_by=actor).save()


async def snapshots(campaign_id: int, public_id: int | None) -> list[SnapshotRecord]:
    rows = await Snapshot.select().where(Snapshot.campaign == campaign_id).order_by(Snapshot.version,
                                                                                   ascending=False)
    return [_snapshot(r, public_id) for r in rows]


async def snapshot_id(campaign_id: int, version: int) -> int | None:
    row = await Snapshot.select(Snapshot.id).where((Snapshot.campaign == campaign_id) &
                                                   (Snapshot.version == version)).first()
    return int(row["id"]) if row else None


async def snapshot_payload(snapshot_id: int) -> dict[str, Any]:
    row = await Snapshot.select(Snapshot.payload).where(Snapshot.id == snapshot_id).first()
    return dict(_load(row["payload"]))


async def latest_publication(campaign_id: int) -> PublicationRecord | None:
    row = await Publication.select().where(Publication.campaign == campaign_id)\
        .order_by(Publication.id, ascending=False).first()
    if row is None:
        return None
    return PublicationRecord(id=row["id"], snapshot_id=row["snapshot"], reason=row["reason"],
                             published_by=row["published_by"], published_at=row["published_at"],
                             audit_head=row["audit_head"])


async def insert_publication(snapshot_id: int, campaign_id: int, reason: str, actor: str, audit_head: str) -> None:
    await Publication(snapshot=snapshot_id, campaign=campaign_id, reason=reason, published_by=actor,
                      audit_head=audit_head).save()


async def published_years() -> list[int]:
    rows = await Publication.select(Publication.campaign.year).distinct()
    return sorted({r["campaign.year"] for r in rows}, reverse=True)
