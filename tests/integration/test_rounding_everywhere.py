"""Integration: every page, API, bulletin, report, PDF and export of a campaign and a month whose figures sit exactly
on a half (.xx5 / .x5) shows the half-up digits (issue 11 "One rounding path"; SPEC §2 "84.995 → 85.00").

Built through the real submission path so the exact figures are:
- D01: 16 sections, total 1346 → mean 84.125 → published 84.13 (float formatting gives 84.12); item A1 73 of 80
  points → 91.25 % → 91.3 % at one place (float formatting gives 91.2, the liaison page once did);
- D02: 8 sections, total 673 → 84.125 → 84.13, tied with D01 (shared rank, listed by code);
- 17 ballots of 80 cards → 21.25 % returned → 21.3 %;
- November: D01 1 counted rating of 32 served transactions → 3.125 % → 3.13 %; online share 1 of 8 against D02's
  8 of 8 → 5 × 1/8 = 0.625 → 0.63, item 2.5 = 5.625 → 5.63.
Every text is searched for the half-up digits and for the half-even/float ones (which must not appear as a number
of their own: "84.125", the exact mean in an explanation, is not "84.12").
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from pingyi.accounts import service as accounts
from pingyi.assessment import monthclose
from pingyi.assessment import service as assessment
from pingyi.catalog import load_catalog
from pingyi.evaluation import service as evaluation
from pingyi.publication import service as publication

from .helpers import open_campaign
from .monthly_support import clock_at, local, rate, run_at, seed
from .webclient import client_for, login

YEAR, MONTH = 2025, "2026-11"
FEEDBACK = f"/office/feedback?year={YEAR}&department=D01"
OFFICE_MONTH = f"/office/monthly?month={MONTH}&department=D01"
DEC_3 = (2026, 12, 3, 10, 0)


def _section(items: list[str], satisfied: int, basically: int, first: str) -> dict[str, str]:
    """A 20-item section with `first` as the first item's answer and the given counts over all items."""
    counts = {"satisfied": satisfied, "basically_satisfied": basically,
              "unsatisfied": len(items) - satisfied - basically}
    counts[first] -= 1
    rest = [a for a, n in counts.items() for _ in range(n)]
    return {items[0]: first, **dict(zip(items[1:], rest, strict=True))}


def _build(s) -> None:
    async def work():
        terminals = await seed(s)
        await accounts.create_user("l-D01", "password-1", "liaison", department_code="D01", actor="test")
        items = list(load_catalog(s.surveys_dir).questionnaire.item_ids)
        s84 = lambda first: _section(items, 15, 3, first)  # noqa: E731  15×5 + 3×3 = 84
        s85 = lambda first: _section(items, 17, 0, first)  # noqa: E731  17×5 = 85
        # D01: 14 × 84 + 2 × 85 = 1346 over 16; A1: 13 + 1 satisfied, 1 basically, 1 unsatisfied = 73 of 80
        d01 = [s84("satisfied")] * 13 + [s84("basically_satisfied"), s85("satisfied"), s85("unsatisfied")]
        d02 = [s84("satisfied")] * 7 + [s85("satisfied")]  # 7 × 84 + 85 = 673 over 8
        tokens = await open_campaign(s, year=YEAR, cards=80)
        for n, token in enumerate(tokens[:17]):
            sections = {}
            if n < 16:
                sections["D01"] = d01[n]
            if n < 8:
                sections["D02"] = d02[n]
            if n == 16:
                sections["D03"] = {i: "satisfied" for i in items}
            await evaluation.submit_ballot(token, sections, {})
        await evaluation.change_state(YEAR, "close", actor="test")
        snapshot = await publication.compute_snapshot(YEAR, actor="test")
        await publication.publish(YEAR, snapshot["version"], actor="test")

        t1, t2 = terminals["D01"], terminals["D02"]
        for m in range(32):
            await rate(t1, local(2026, 11, 2, 9, m), kind="arm")
        await rate(t1, local(2026, 11, 2, 10, 0), 5)
        for m in range(4):
            await rate(t2, local(2026, 11, 3, 9, m), kind="arm")
            await rate(t2, local(2026, 11, 3, 9, m, 30), 5)
        header = "单位编码,月份,网上办件数,办件总数,超时红牌数\n"
        await assessment.import_online((header + "D01,2026-11,1,8,0\nD02,2026-11,8,8,0\n").encode(), "o.csv",
                                       MONTH, actor="insp")
        await monthclose.close_month(MONTH, "boss", rubric=assessment.rubric_from(s.surveys_dir))
        await monthclose.publish_month(MONTH, "boss")

    run_at(s, clock_at(*DEC_3), work)


def _number(text: str, figure: str) -> bool:
    """`figure` appears as a number of its own (not as the start of a longer one: 84.12 is not in 84.125)."""
    return re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d])", text) is not None


def _pdf_text(data: bytes, tmp: Path, name: str) -> str:
    path = tmp / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(" ".join("" if v is None else str(v) for v in row)
                     for ws in book.worksheets for row in ws.iter_rows(values_only=True))


def _get(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r.text


def test_every_output_shows_half_up_digits(any_settings, tmp_path):
    s = any_settings
    _build(s)
    clock = clock_at(*DEC_3)
    texts: dict[str, str] = {}
    with client_for(s, clock=clock) as client:
        for url in (f"/results/{YEAR}", f"/api/v1/results/{YEAR}", f"/bulletin/{YEAR}",
                    f"/bulletin/{YEAR}/bulletin.json", f"/bulletin/{YEAR}/bulletin.csv", f"/results/{YEAR}/report",
                    f"/results/{YEAR}/report/charts/ranking.svg", f"/monthly/{MONTH}", f"/api/v1/monthly/{MONTH}"):
            texts[url] = _get(client, url)
        texts["report.pdf"] = _pdf_text(client.get(f"/results/{YEAR}/report.pdf").content, tmp_path, "report.pdf")
        login(client, "boss", "password-1")
        for url in (f"/office/results/{YEAR}", FEEDBACK, OFFICE_MONTH):
            texts[url] = _get(client, url)
        texts["feedback.pdf"] = _pdf_text(client.get(f"/office/feedback/{YEAR}/D01/feedback.pdf").content,
                                          tmp_path, "feedback.pdf")
        for kind, arg in (("annual", {"year": YEAR}), ("monthly", {"month": MONTH})):
            texts[f"{kind}.xlsx"] = _xlsx_text(client.get(f"/office/exports/{kind}/xlsx", params=arg).content)
            texts[f"{kind}.csv"] = client.get(f"/office/exports/{kind}/csv", params=arg).content.decode("utf-8-sig")
    with client_for(s, clock=clock) as client:
        login(client, "l-D01", "password-1")
        for url in ("/liaison", f"/liaison/monthly/{MONTH}"):
            texts[url] = _get(client, url)
        texts["liaison:/office/feedback"] = _get(client, "/office/feedback")

    def shows(where: list[str], good: str, bad: str) -> None:
        for name in where:
            text = texts[name]
            assert _number(text, good), f"{name}: {good} missing"
            assert not _number(text, bad), f"{name}: {bad} (not half-up) shown"

    annual = [f"/results/{YEAR}", f"/api/v1/results/{YEAR}", f"/bulletin/{YEAR}/bulletin.json",
              f"/bulletin/{YEAR}/bulletin.csv", f"/results/{YEAR}/report", "report.pdf", f"/office/results/{YEAR}",
              FEEDBACK, "feedback.pdf", "annual.xlsx", "annual.csv", "/liaison", "liaison:/office/feedback",
              f"/results/{YEAR}/report/charts/ranking.svg"]
    shows(annual, "84.13", "84.12")
    shows([FEEDBACK, "feedback.pdf", "liaison:/office/feedback"], "91.3", "91.2")
    shows([f"/results/{YEAR}/report", "report.pdf"], "21.3", "21.2")
    monthly = [f"/monthly/{MONTH}", f"/api/v1/monthly/{MONTH}", OFFICE_MONTH,
               f"/liaison/monthly/{MONTH}", "monthly.xlsx"]
    shows(monthly, "5.63", "5.62")
    # the CSV holds the ranking sheet: D01's published total, exactly as the API gives it
    month_api = json.loads(texts[f"/api/v1/monthly/{MONTH}"])
    total = next(r["total"] for r in month_api["rows"] if r["code"] == "D01")
    assert any(",D01," in line and f",{total}," in line
               for line in texts["monthly.csv"].splitlines()), (total, texts["monthly.csv"][:500])
    shows([f"/monthly/{MONTH}", OFFICE_MONTH, f"/liaison/monthly/{MONTH}"], "3.13", "3.12")
    shows([f"/monthly/{MONTH}", OFFICE_MONTH], "0.63", "0.62")
    # the tie: both departments share the rank, listed by code
    api = texts[f"/api/v1/results/{YEAR}"]
    assert re.search(r'"code":"D01".*?"rank":2', api, re.S) and re.search(r'"code":"D02".*?"rank":2', api, re.S)
