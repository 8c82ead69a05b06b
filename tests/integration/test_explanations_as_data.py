"""Integration: explanations as data (issue 11, docs/architecture.md "Explanations as data").

A published annual version and a published month store steps; every page, PDF, export and JSON API renders them
through the one table in core/explain.py, so a wording fix reaches an already-published version without touching its
stored payload or digest. A version stored the way the code before issue 11 stored it (explanations as lists of
Chinese lines) still renders on the results page, the monthly pages, the portal, the feedback page and PDF, the
report PDF and the exports, and its digest still verifies.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from pingyi.assessment.tables import MonthSnapshot
from pingyi.core import explain
from pingyi.core.snapshot import inputs_digest, to_plain
from pingyi.publication import service as publication
from pingyi.publication.tables import Snapshot

from .monthly_support import run_at
from .test_liaison_portal import county  # noqa: F401  (the fixture: a published year and a published month)
from .test_report import pdf_text
from .webclient import client_for, login

YEAR, MONTH = 2025, "2026-11"
ENTRY = "D02专属扣分理由"  # the inspector's deduction on D02's item 1.1 in the fixture's month
REWORDED = "（改）"


def _load(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def _stored(s, clock) -> dict[str, Any]:
    """The stored rows exactly as the database holds them: payloads and digest columns."""
    async def work():
        annual = await Snapshot.select(Snapshot.id, Snapshot.digest, Snapshot.payload).first()
        month = await MonthSnapshot.select(MonthSnapshot.id, MonthSnapshot.digest, MonthSnapshot.payload).where(
            MonthSnapshot.month == MONTH).first()
        recomputed = inputs_digest(to_plain(await publication.compute_inputs(YEAR)))
        return {"annual": {**annual, "payload": _load(annual["payload"])},
                "month": {**month, "payload": _load(month["payload"])}, "annual_recomputed": recomputed}
    return run_at(s, clock, work)


def _digests_verify(stored: dict[str, Any]) -> None:
    annual, month = stored["annual"], stored["month"]
    assert annual["digest"] == annual["payload"]["digest"] == stored["annual_recomputed"]
    assert month["digest"] == month["payload"]["digest"] == inputs_digest(month["payload"]["inputs"])


def _without(d: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != key}


def annual_as_before(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the code before issue 11 stored it: each department's `explanation` a list of lines."""
    return {**payload, "results": [{**_without(r, "explanation_steps"), "explanation": explain.lines(
        r["explanation_steps"])} for r in payload["results"]]}


def monthly_as_before(payload: dict[str, Any]) -> dict[str, Any]:
    """… and a month's: item `explanation`, row and month `notes` as lists of lines."""
    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {**_without(r, "note_steps"), "notes": explain.lines(r["note_steps"]),
                "items": [{**_without(i, "explanation_steps"), "explanation": explain.lines(i["explanation_steps"])}
                          for i in r["items"]]}
    result = payload["result"]
    return {**payload, "result": {**_without(result, "note_steps"), "notes": explain.lines(result["note_steps"]),
                                  "rows": [row(r) for r in result["rows"]]}}


def _rewrite(s, clock, annual: dict[str, Any], month: dict[str, Any], ids: tuple[int, int]) -> None:
    async def work():
        await Snapshot.update({Snapshot.payload: json.dumps(annual, ensure_ascii=False)}).where(Snapshot.id == ids[0])
        await MonthSnapshot.update({MonthSnapshot.payload: json.dumps(month, ensure_ascii=False)}).where(
            MonthSnapshot.id == ids[1])
    run_at(s, clock, work)


def _reword(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wording fix in the one table, after both versions were published."""
    monkeypatch.setitem(explain.TEMPLATES, "annual.sections",
                        REWORDED + "有效评议 {sections} 份，总分 {sum}，均分 {mean}")
    monkeypatch.setitem(explain.TEMPLATES, "monthly.deduct.entry",
                        lambda f: f"{REWORDED}扣分 {f['points']}：{f['reason']}")
    monkeypatch.setitem(explain.TEMPLATES, "monthly.poor",
                        REWORDED + "{award_label}（连续 {run} 个月）：{ladder_label}")


def _row(rows: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(r for r in rows if r["code"] == code)


def _item(row: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for i in row["items"] if i["item_id"] == item_id)


def test_published_versions_store_steps_and_the_apis_carry_both_steps_and_lines(county):  # noqa: F811
    s, clock, _, _ = county
    stored = _stored(s, clock)
    d01 = _row(stored["annual"]["payload"]["results"], "D01")
    assert "explanation" not in d01  # the stored version holds data, not prose
    assert [st["rule"] for st in d01["explanation_steps"]][:2] == ["annual.sections", "annual.no_penalty"]
    d02 = _row(stored["month"]["payload"]["result"]["rows"], "D02")
    assert "notes" not in d02 and "explanation" not in _item(d02, "1.1")
    assert _item(d02, "1.1")["explanation_steps"][1] == {
        "rule": "monthly.deduct.entry", "figures": {"points": "2.00", "reason": ENTRY, "ref": _item(d02, "1.1")[
            "explanation_steps"][1]["figures"]["ref"]}}
    _digests_verify(stored)
    with client_for(s, clock=clock) as client:
        api = _row(client.get(f"/api/v1/results/{YEAR}").json()["results"], "D01")
        month = _row(client.get(f"/api/v1/monthly/{MONTH}").json()["rows"], "D02")
    assert api["explanation_steps"] == d01["explanation_steps"]
    assert api["explanation"] == explain.lines(d01["explanation_steps"])
    assert api["explanation"][1] == "无属实投诉，不扣分"
    assert _item(month, "1.1")["explanation"][1].startswith(f"扣 2.00 分：{ENTRY}")
    assert month["notes"] == ["较差窗口单位：连续第 1 个月，通报批评"]
    assert month["note_steps"][0]["rule"] == "monthly.poor"


def test_a_wording_fix_reaches_a_published_version_without_touching_its_stored_data_or_digest(
        county, monkeypatch):  # noqa: F811
    s, clock, _, _ = county
    before = _stored(s, clock)
    figures = _row(before["annual"]["payload"]["results"], "D01")["explanation_steps"][0]["figures"]
    old_line = explain.render({"rule": "annual.sections", "figures": figures})
    _reword(monkeypatch)
    new_line = f"{REWORDED}有效评议 {figures['sections']} 份，总分 {figures['sum']}，均分 {figures['mean']}"
    with client_for(s, clock=clock) as client:
        page = client.get(f"/results/{YEAR}").text
        api = _row(client.get(f"/api/v1/results/{YEAR}").json()["results"], "D01")
        monthly_page = client.get(f"/monthly/{MONTH}").text
        month = _row(client.get(f"/api/v1/monthly/{MONTH}").json()["rows"], "D02")
    assert new_line in page and old_line not in page
    assert api["explanation"][0] == new_line
    assert f"{REWORDED}扣分 2.00：{ENTRY}" in monthly_page and f"扣 2.00 分：{ENTRY}" not in monthly_page
    assert month["notes"] == [f"{REWORDED}较差窗口单位（连续 1 个月）：通报批评"]
    after = _stored(s, clock)
    assert after == before  # the stored payloads and digests are byte-for-byte what they were
    _digests_verify(after)


def test_a_version_stored_with_lines_before_issue_11_renders_everywhere_and_its_digest_verifies(
        county, monkeypatch, tmp_path):  # noqa: F811
    s, clock, _, _ = county
    new = _stored(s, clock)
    annual_old = annual_as_before(new["annual"]["payload"])
    month_old = monthly_as_before(new["month"]["payload"])
    _rewrite(s, clock, annual_old, month_old, (new["annual"]["id"], new["month"]["id"]))
    old = _stored(s, clock)
    assert old["annual"]["payload"] == annual_old and old["month"]["payload"] == month_old
    _digests_verify(old)  # the digest covers the inputs, which the old and the new form share
    # A later wording fix does not rewrite what an old version said: its lines are its own.
    _reword(monkeypatch)
    d01_lines = _row(annual_old["results"], "D01")["explanation"]
    d02_old = _row(month_old["result"]["rows"], "D02")
    entry_line = _item(d02_old, "1.1")["explanation"][1]
    d01_month = _row(month_old["result"]["rows"], "D01")
    d01_item_line = _item(d01_month, "1.6")["explanation"][0]
    poor_note = d02_old["notes"][0]
    assert entry_line.startswith(f"扣 2.00 分：{ENTRY}") and poor_note == "较差窗口单位：连续第 1 个月，通报批评"

    with client_for(s, clock=clock) as client:
        results_page = client.get(f"/results/{YEAR}").text
        api = client.get(f"/api/v1/results/{YEAR}")
        monthly_page = client.get(f"/monthly/{MONTH}").text
        month_api = client.get(f"/api/v1/monthly/{MONTH}")
        report = client.get(f"/results/{YEAR}/report.pdf")
    assert all(line in results_page for line in d01_lines) and REWORDED not in results_page
    assert api.status_code == 200, api.text
    d01 = _row(api.json()["results"], "D01")
    assert d01["explanation"] == d01_lines
    assert d01["explanation_steps"] == [{"rule": "text", "figures": {"text": line}} for line in d01_lines]
    assert entry_line in monthly_page and poor_note in monthly_page and REWORDED not in monthly_page
    assert month_api.status_code == 200, month_api.text
    d02 = _row(month_api.json()["rows"], "D02")
    assert _item(d02, "1.1")["explanation"] == _item(d02_old, "1.1")["explanation"] and d02["notes"] == [poor_note]
    assert report.status_code == 200 and report.content.startswith(b"%PDF")

    with client_for(s, clock=clock) as client:  # the department's liaison (D01)
        login(client, "liaison", "password-1")
        portal_month = client.get(f"/liaison/monthly/{MONTH}").text
        feedback = client.get(f"/office/feedback?year={YEAR}&department=D01").text
        pdf = client.get(f"/office/feedback/{YEAR}/D01/feedback.pdf")
    assert d01_item_line in portal_month and REWORDED not in portal_month
    assert all(line in feedback for line in d01_lines)
    assert pdf.status_code == 200, pdf.text
    text = "".join(pdf_text(pdf.content, tmp_path)[2].split())
    assert all("".join(line.split()) in text for line in d01_lines), text

    with client_for(s, clock=clock) as client:  # the office admin: the month's office page and the exports
        login(client, "boss", "password-1")
        office = client.get(f"/office/monthly?month={MONTH}&department=D02").text
        ranking = client.get(f"/office/exports/monthly/csv?month={MONTH}")
        workbook = client.get(f"/office/exports/monthly/xlsx?month={MONTH}")
    assert entry_line in office and REWORDED not in office
    rows = list(csv.DictReader(io.StringIO(ranking.content.decode("utf-8-sig"))))
    assert _row([{**r, "code": r["部门代码"]} for r in rows], "D02")["说明"] == poor_note
    sheet = load_workbook(io.BytesIO(workbook.content))["考核细项"]
    cells = {(r[0], r[2]): r[6] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[("D02", "1.1")] == "；".join(_item(d02_old, "1.1")["explanation"])
    assert REWORDED not in "".join(str(v) for v in cells.values())
