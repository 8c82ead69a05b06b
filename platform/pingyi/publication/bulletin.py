"""Service layer: the checkable bulletin — JSON and CSV, each with a detached Ed25519 signature (SPEC §3; see
docs/bulletin.md). The document is built from the published snapshot, the campaign's frozen questionnaire, the
receipts and the sections; `pingyi.core.bulletin_check` recomputes it from the file alone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import msgspec

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import bulletin_check
from pingyi.core.errors import NotFound
from pingyi.db import write_transaction
from pingyi.evaluation import repository as evaluation

from . import repository, service, signing
from .schemas import BulletinDocument, BulletinKey, BulletinKeys

CSV_BOM = "\ufeff"  # so Excel and WPS open the Chinese text as UTF-8


async def document(year: int) -> dict[str, Any]:
    """The bulletin of the newest published version: every receipt code; per department its figures and — at k
    or more sections — its sections shuffled per publication; the questionnaire, the rules, the digests."""
    results = await service.published_results(year)
    campaign = await evaluation.campaign_row(year)
    questionnaire = evaluation.questionnaire_to_json(evaluation.questionnaire_from_json(campaign["questionnaire"]))
    sections = {code: service.publication_order(answers, results, code)
                for code, answers in (await evaluation.bulletin_sections(campaign["id"])).items()}
    k = results["campaign"]["k"]
    departments = []
    for r in results["results"]:
        departments.append({
            "code": r["code"], "name": r["name"], "section_count": r["section_count"],
            "section_sum": r["section_sum"], "substantiated": r["substantiated"], "published": r["published"],
            "grade": r["grade"], "grade_label": r["status_label"], "rank": r["rank"], "small_cell": r["small_cell"],
            "sections": None if r["small_cell"] else sections.get(r["code"], [])})
    return {
        "format": bulletin_check.FORMAT, "schema_version": bulletin_check.SCHEMA_VERSION,
        "year": year, "title": results["campaign"]["title"], "version": results["version"],
        "digest": results["digest"], "computed_at": results["computed_at"], "published_at": results["published_at"],
        "audit_head": results.get("audit_head"), "publication_audit_head": results.get("publication_audit_head"),
        "k": k, "rules": bulletin_check.scoring_rules(k),
        "questionnaire_fingerprint": bulletin_check.questionnaire_fingerprint(questionnaire),
        "questionnaire": questionnaire, "turnout": results["turnout"],
        "receipts": await evaluation.receipt_codes(campaign["id"]), "departments": departments,
    }


def encode(doc: dict[str, Any]) -> bytes:
    """The JSON file's bytes: the schema's field order, as `/api/v1/bulletin/YEAR` answers (one text per version)."""
    return msgspec.json.encode(msgspec.convert(doc, BulletinDocument))


def to_csv(doc: dict[str, Any]) -> bytes:
    """The bulletin for Excel/WPS (UTF-8 with BOM): one table, one row per fact, kind in the first column."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["类型", "部门代码", "部门名称", "项目", "值"])
    for label, value in (("年度", doc["year"]), ("标题", doc["title"]), ("版本", doc["version"]),
                         ("结果摘要", doc["digest"]), ("公布时间", doc["published_at"]),
                         ("审计链头（计算时）", doc["audit_head"] or ""),
                         ("审计链头（公布时）", doc["publication_audit_head"] or ""),
                         ("问卷指纹", doc["questionnaire_fingerprint"]), ("小样本阈值 k", doc["k"]),
                         ("发出评议卡", doc["turnout"]["cards_issued"]), ("已用评议卡", doc["turnout"]["cards_used"]),
                         ("评议份数", doc["turnout"]["ballots"]), ("回执码个数", len(doc["receipts"]))):
        w.writerow(["公告", "", "", label, value])
    for d in doc["departments"]:
        for label, value in (("评议份数", d["section_count"]), ("总分", d["section_sum"]),
                             ("属实投诉", d["substantiated"]), ("公布得分", d["published"] or "未获评议"),
                             ("等级", d["grade_label"]), ("名次", d["rank"] or "—"),
                             ("小样本保护", "是" if d["small_cell"] else "否")):
            w.writerow(["部门", d["code"], d["name"], label, value])
        for n, s in enumerate(d["sections"] or [], start=1):
            w.writerow(["评议", d["code"], d["name"], f"第 {n} 份（合计 {sum(int(c) for c in s)} 分）", s])
    for code in doc["receipts"]:
        w.writerow(["回执码", "", "", "", code])
    return (CSV_BOM + out.getvalue()).encode("utf-8")


async def signing_key(data_dir: Path, actor: str = "system") -> dict[str, Any]:
    """The office's current key; made (and audited) on first use."""
    entry, created = await asyncio.to_thread(signing.ensure_key, data_dir, clock.now())
    if created:
        async with write_transaction():
            await audit.append(actor, "bulletin.key.generate", f"key:{entry['key_id']}",
                               {"key_id": entry["key_id"], "public_key": entry["public_key"]})
    return entry


async def rotate_key(data_dir: Path, actor: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    new, old = await asyncio.to_thread(signing.rotate, data_dir, clock.now())
    async with write_transaction():
        await audit.append(actor, "bulletin.key.rotate", f"key:{new['key_id']}",
                           {"key_id": new["key_id"], "public_key": new["public_key"],
                            "retired": old["key_id"] if old else None})
    return new, old


def filename(doc: dict[str, Any], ext: str) -> str:
    return f"bulletin-{doc['year']}-v{doc['version']}.{ext}"


async def files(year: int, data_dir: Path) -> dict[str, bytes]:
    """The downloads of a year's bulletin: JSON, CSV, a signature for each, and the public key that signed them."""
    doc = await document(year)
    entry = await signing_key(data_dir)
    data, table = encode(doc), to_csv(doc)
    plain = json.loads(data)

    def signed() -> dict[str, bytes]:
        return {
            filename(doc, "json"): data,
            filename(doc, "json.sig"): signing.sign(data_dir, entry, bulletin_check.manifest(data, plain)),
            filename(doc, "csv"): table,
            filename(doc, "csv.sig"): signing.sign(data_dir, entry, bulletin_check.file_manifest(
                table, "csv", doc["year"], doc["version"])),
            "office-key.pub": bulletin_check.format_public_key(signing.public_bytes(entry)).encode("ascii"),
        }

    return await asyncio.to_thread(signed)


CACHE_SIZE = 8


async def files_cached(year: int, data_dir: Path, state: Any) -> dict[str, bytes]:
    """`files`, kept per application for the public's repeated downloads (SPEC §8): keyed by the year, its newest
    publication and the current key, so a correction or a key rotation is served at once; at most CACHE_SIZE
    entries. Two cheap selects decide whether the cached files are still the ones to serve."""
    publication = await repository.latest_publication((await evaluation.campaign_row(year))["id"])
    if publication is None:
        raise NotFound(f"{year} 年度评议结果尚未公布。")
    current = signing.current(data_dir) or await signing_key(data_dir)
    cache: dict[tuple[int, int, str], dict[str, bytes]] = state.setdefault("bulletin_files", {})
    key = (year, publication.id, current["key_id"])
    if key not in cache:
        made = await files(year, data_dir)
        while len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = made
    return cache[key]


async def keys(data_dir: Path) -> BulletinKeys:
    """Every public key the office has signed bulletins with; the current one first."""
    current = await signing_key(data_dir)
    listed = [BulletinKey(key_id=e["key_id"], algorithm=e.get("algorithm", bulletin_check.ALGORITHM),
                          public_key=e["public_key"], created_at=e["created_at"], retired_at=e["retired_at"],
                          line=bulletin_check.format_public_key(signing.public_bytes(e)).strip())
              for e in reversed(signing.registry(data_dir))]
    return BulletinKeys(current=current["key_id"], keys=listed)
