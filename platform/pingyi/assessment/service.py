"""Service layer: the monthly window assessment — inspector entries, vetoes, imports, month state (SPEC §4).

The month's computation (facts, the pure core, snapshots, publication) lives in `monthclose.py`; this module holds
what inspectors and the office change while a month is open. Every change is one write transaction with its audit
entry; a closed month refuses every change (409) until an admin reopens it for a correction, with a reason.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.catalog import load_rubric, tabular
from pingyi.core import assessment as core
from pingyi.core.errors import InvalidInput, NotFound, StateError
from pingyi.core.rubric import Rubric
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi.hall.schemas import DepartmentRecord
from pingyi.ratings import service as ratings
from pingyi.settings import REPO_ROOT

from . import repository
from .schemas import EntryRecord, MonthStateRecord

OPEN, CLOSING, CLOSED, PUBLISHED = "open", "closing", "closed", "published"
STATE_LABELS = {OPEN: "录入中", CLOSING: "结账中（只读）", CLOSED: "已结账（只读）", PUBLISHED: "已公布（只读）"}

# The one-vote veto's grounds (SPEC §4, seed 篇1 1.6): form keys → the core's VETO_REASONS (压号不叫 / 消极怠工).
VETO_GROUNDS = dict(zip(("call_skipping", "slacking"), core.VETO_REASONS, strict=True))
MAX_EVIDENCE = 500
MAX_REASON = 500
RUBRIC_FILE = "monthly_rubric.toml"


def rubric_from(surveys_dir: Path | str | None = None) -> Rubric:
    """The monthly rubric of `surveys_dir` (default: the checkout's surveys/)."""
    return load_rubric(Path(surveys_dir or REPO_ROOT / "surveys") / RUBRIC_FILE)


def month_arg(month: str) -> str:
    """A month as the office types it ("2026-11"); InvalidInput otherwise."""
    return core.parse_month(str(month).strip())


def started(month: str) -> bool:
    first, _ = core.month_first_days(month)
    return first <= clock.today()


def ended(month: str) -> bool:
    _, next_first = core.month_first_days(month)
    return next_first <= clock.today()


async def state_of(month: str) -> MonthStateRecord | None:
    return await repository.month_state(month)


async def state_name(month: str) -> str:
    record = await repository.month_state(month)
    return record.state if record else OPEN


async def require_open(month: str) -> None:
    """Changes to a month are allowed only while it is open (in the office's time zone it must have begun)."""
    if not started(month):
        raise InvalidInput(f"{month} 尚未开始，不能录入。")
    state = await state_name(month)
    if state != OPEN:
        raise StateError(f"{month} 已结账，考核数据只读；如需更正，请管理员发起更正并填写理由，重新结账后生成新版本。")


async def department(code: str) -> DepartmentRecord:
    dept = await hall.department_by_code(str(code).strip())
    if dept is None:
        raise NotFound(f"窗口单位 {code!r} 不存在。")
    return dept


async def departments() -> list[DepartmentRecord]:
    """The departments assessed in a month: the active ones (a department that joins mid-year is assessed from
    the month it is active; one deactivated is no longer assessed)."""
    return await hall.departments(active_only=True)


def _text(value: str, what: str, limit: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and len(value) < 2:
        raise InvalidInput(f"请填写{what}（至少 2 个字）。")
    if len(value) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 字。")
    return value


# ---------------------------------------------------------------- inspector entries


async def add_entry(month: str, department_code: str, item_id: str, points_text: str, reason: str, *,
                    evidence: str = "", actor: str, rubric: Rubric) -> str:
    """A new deduction or bonus entry (version 1); returns its entry key. Audited."""
    month = month_arg(month)
    points = core.check_entry(rubric, str(item_id).strip(), str(points_text).strip(), reason)
    reason = _text(reason, "理由", MAX_REASON, required=True)
    evidence = _text(evidence, "佐证说明", MAX_EVIDENCE, required=False)
    dept = await department(department_code)
    key = f"E{uuid.uuid4().hex[:12]}"
    async with write_transaction():
        await require_open(month)
        await repository.insert_entry(entry_key=key, version=1, month=month, department_id=dept.id,
                                      item_id=item_id.strip(), points=f"{points:f}", reason=reason, evidence=evidence,
                                      withdrawn=False, change_reason="", actor=actor)
        await audit.append(actor, "assessment.entry.add", f"entry:{key}",
                           {"month": month, "department": dept.code, "item": item_id.strip(),
                            "points": f"{points:f}", "reason": reason, "evidence": evidence}, in_transaction=True)
    return key


async def _latest(entry_key: str) -> EntryRecord:
    row = await repository.latest_entry(str(entry_key).strip())
    if row is None:
        raise NotFound(f"督查记录 {entry_key!r} 不存在。")
    return row


async def edit_entry(entry_key: str, points_text: str, reason: str, *, evidence: str = "", change_reason: str = "",
                     actor: str, rubric: Rubric) -> int:
    """A new version of an entry (the old versions stay); returns the new version number. Audited."""
    async with write_transaction():
        old = await _latest(entry_key)
        if old.withdrawn:
            raise StateError("该督查记录已撤回，不能修改；请新增一条。")
        await require_open(old.month)
        points = core.check_entry(rubric, old.item_id, str(points_text).strip(), reason)
        reason = _text(reason, "理由", MAX_REASON, required=True)
        evidence = _text(evidence, "佐证说明", MAX_EVIDENCE, required=False)
        change = _text(change_reason, "修改原因", MAX_REASON, required=False)
        dept = await department(old.department_code)
        version = old.version + 1
        await repository.insert_entry(entry_key=old.entry_key, version=version, month=old.month,
                                      department_id=dept.id, item_id=old.item_id, points=f"{points:f}", reason=reason,
                                      evidence=evidence, withdrawn=False, change_reason=change, actor=actor)
        await audit.append(actor, "assessment.entry.edit", f"entry:{old.entry_key}",
                           {"month": old.month, "department": old.department_code, "item": old.item_id,
                            "version": version, "from_points": old.points, "points": f"{points:f}",
                            "reason": reason, "change_reason": change}, in_transaction=True)
    return version


async def withdraw_entry(entry_key: str, change_reason: str, *, actor: str) -> int:
    """Withdraw an entry: a new version with points 0 marked withdrawn (the old versions stay). Audited."""
    change = _text(change_reason, "撤回原因", MAX_REASON, required=True)
    async with write_transaction():
        old = await _latest(entry_key)
        if old.withdrawn:
            raise StateError("该督查记录已撤回。")
        await require_open(old.month)
        dept = await department(old.department_code)
        version = old.version + 1
        await repository.insert_entry(entry_key=old.entry_key, version=version, month=old.month,
                                      department_id=dept.id, item_id=old.item_id, points="0", reason=old.reason,
                                      evidence=old.evidence, withdrawn=True, change_reason=change, actor=actor)
        await audit.append(actor, "assessment.entry.withdraw", f"entry:{old.entry_key}",
                           {"month": old.month, "department": old.department_code, "item": old.item_id,
                            "version": version, "from_points": old.points, "change_reason": change},
                           in_transaction=True)
    return version


async def set_veto(month: str, department_code: str, ground: str, note: str, *, actor: str,
                   vetoed: bool = True) -> None:
    """Set (or lift, with `vetoed=False`) the one-vote veto of a department's month, with a reason. Audited.

    `ground`: a key of VETO_GROUNDS (or its Chinese label); the stored reason is "<label>：<note>"."""
    month = month_arg(month)
    dept = await department(department_code)
    note = _text(note, "情况说明" if vetoed else "撤销理由", MAX_REASON, required=True)
    if vetoed:
        label = VETO_GROUNDS.get(ground) or (ground if ground in VETO_GROUNDS.values() else None)
        if label is None:
            raise InvalidInput(f"一票否决的事由必须是 {'、'.join(VETO_GROUNDS.values())} 之一。")
        reason = f"{label}：{note}"
    else:
        reason = note
    async with write_transaction():
        await require_open(month)
        current = (await repository.vetoes(month)).get(dept.code)
        if not vetoed and (current is None or not current.vetoed):
            raise StateError(f"{dept.name} {month} 没有一票否决，无需撤销。")
        version = (current.version + 1) if current else 1
        await repository.insert_veto(month=month, department_id=dept.id, version=version, vetoed=vetoed,
                                     reason=reason, actor=actor)
        await audit.append(actor, "assessment.veto.set" if vetoed else "assessment.veto.lift",
                           f"veto:{month}:{dept.code}", {"version": version, "reason": reason},
                           in_transaction=True)


# ---------------------------------------------------------------- imports: online share and red cards


def _month_check(text: str) -> str:
    try:
        return core.parse_month(text)
    except InvalidInput:
        raise ValueError(f"{text!r} 应为 YYYY-MM（如 2026-11）") from None


ONLINE_COLUMNS = (tabular.Column("单位编码", tabular.text_check), tabular.Column("月份", _month_check),
                  tabular.Column("网上办件数", tabular.count_check), tabular.Column("办件总数", tabular.count_check),
                  tabular.Column("超时红牌数", tabular.count_check))


async def import_online(data: bytes, filename: str, month: str, *, actor: str) -> int:
    """Import online share and red cards for `month` from CSV or XLSX; returns the rows imported.

    Every row is checked first (format, month equal to `month`, known department, online ≤ total, no department
    twice) and every problem listed at once; a bad file changes nothing. A department's row for the month replaces
    the one imported before; departments not in the file keep theirs. One transaction, one audit entry."""
    month = month_arg(month)
    source = Path(filename or "import").name
    table = tabular.read_table(data, filename, ONLINE_COLUMNS, source=source)
    known = {d.code: d for d in await hall.departments()}
    seen: dict[str, int] = {}
    good: list[tuple[int, DepartmentRecord, int, int, int]] = []
    for n, (code, row_month, online, processed, red) in table.rows:
        ok = True
        if row_month != month:
            table.add_error(n, "月份", f"{row_month} 与导入的月份 {month} 不一致")
            ok = False
        if code not in known:
            table.add_error(n, "单位编码", f"窗口单位 {code!r} 不存在")
            ok = False
        elif code in seen:
            table.add_error(n, "单位编码", f"{code} 与第 {seen[code]} 行重复")
            ok = False
        if online > processed:
            table.add_error(n, "网上办件数", f"{online} 大于办件总数 {processed}")
            ok = False
        seen.setdefault(code, n)
        if ok:
            good.append((n, known[code], online, processed, red))
    table.raise_if_errors()
    if not good:
        raise InvalidInput(f"{source} 没有数据行。")
    async with write_transaction():
        await require_open(month)
        for n, dept, online, processed, red in good:
            await repository.replace_online(department_id=dept.id, month=month, online=online, processed=processed,
                                            red_cards=red, source=source, source_row=n, actor=actor)
        await audit.append(actor, "assessment.online.import", f"month:{month}",
                           {"file": source, "rows": len(good), "departments": [g[1].code for g in good]},
                           in_transaction=True)
    return len(good)


async def import_served(data: bytes, filename: str, *, actor: str) -> int:
    """办件量 through the monthly page / `pingyi month import-served`: the ratings context's import (CSV or XLSX,
    every row checked), refused first when a month in the file is no longer open (it would change nothing in a
    closed month's snapshot and mislead the office)."""
    rows = ratings.parse_served_file(data, filename, Path(filename or "import").name)
    for month in sorted({r[2] for r in rows}):
        state = await state_name(month)
        if state != OPEN:
            raise StateError(f"文件中的 {month} 已结账，办件量不能再导入；如需更正，请管理员发起更正。")
    return await ratings.import_served_file(data, filename, actor=actor)


async def close_month(month: str, actor: str, **options: Any) -> dict[str, Any]:
    """For the demo and other callers: `monthclose.close_month` (admin's month close; see there)."""
    from . import monthclose

    return await monthclose.close_month(month, actor, **options)


async def publish_month(month: str, actor: str) -> int:
    """For the demo and other callers: `monthclose.publish_month` (publish the month's latest version)."""
    from . import monthclose

    return await monthclose.publish_month(month, actor)
