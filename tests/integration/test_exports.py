"""Integration: the office's XLSX / CSV exports (SPEC §6, issue 11 "Exports"), on SQLite and PostgreSQL.

Each XLSX is opened with openpyxl and checked against the JSON API of the same figures (annual results, monthly
results) or against the rows the test stored (complaints, ratings per window per day): Chinese headers, numbers as
numbers, the header row frozen. CSV starts with the UTF-8 BOM. Contact details reach only an investigator; a
formula typed into a complaint stays text; a liaison gets its own department's ratings only; bad input is a 400 in
Chinese; every download is audited.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from pingyi.accounts import service as accounts
from pingyi.assessment import monthclose
from pingyi.assessment import service as assessment
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.complaints import service as complaints
from pingyi.evaluation import service as evaluation
from pingyi.publication import service as publication

from .helpers import full_section, open_campaign
from .monthly_support import clock_at, local, rate, run_at, seed
from .webclient import client_for, login

DEC_3 = (2026, 12, 3, 10, 0)
FORMULA = '=HYPERLINK("http://evil.example/x","点我")'
CONTACT = "13800001234"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _setup(s, clock) -> dict[str, str]:
    async def work():
        terminals = await seed(s)
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        items = load_catalog(s.surveys_dir).questionnaire.item_ids
        tokens = await open_campaign(s, year=2025, cards=3)
        minus = {items[0]: "unsatisfied"}  # 95 points
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s, **minus)}, {})
        await evaluation.submit_ballot(tokens[1], {"D01": full_section(s, **minus), "D02": full_section(s, **minus)},
                                       {})
        await evaluation.submit_ballot(tokens[2], {"D01": full_section(s, **minus)}, {})
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")
        d01, d02 = terminals["D01"], terminals["D02"]
        await rate(d01, local(2026, 11, 2, 9, 0), kind="arm")
        await rate(d01, local(2026, 11, 2, 9, 1), 5)
        await rate(d01, local(2026, 11, 2, 9, 5), 1)
        await rate(d01, local(2026, 11, 2, 9, 6), 2, flags="repeat")
        await rate(d01, local(2026, 11, 2, 23, 59), 4, channel="web")  # still 2 November in the office
        await rate(d01, local(2026, 11, 3, 10, 0), 2, dismissed=True)
        await rate(d02, local(2026, 11, 30, 8, 0), 5)
        await rate(d02, local(2026, 12, 1, 0, 0), 5)  # December: not in the November export
        codes = {"formula": await complaints.file_complaint("D01", FORMULA, contact=CONTACT, received_on="2026-11-05"),
                 "plain": await complaints.file_complaint("D02", "窗口人员态度生硬", received_on="2026-11-20")}
        rubric = assessment.rubric_from(s.surveys_dir)
        await monthclose.close_month("2026-11", "boss", rubric=rubric)
        await monthclose.publish_month("2026-11", "boss")
        return codes

    return run_at(s, clock, work)


def _book(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    assert response.headers["cache-control"] == "no-store"
    return load_workbook(io.BytesIO(response.content))


def _header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _records(ws) -> list[dict[str, object]]:
    head = _header(ws)
    return [dict(zip(head, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_annual_and_monthly_exports_match_the_json_apis(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    _setup(s, clock)
    with client_for(s, clock=clock) as client:
        api = client.get("/api/v1/results/2025").json()
        monthly_api = client.get("/api/v1/monthly/2026-11").json()
        login(client, "liaison", "password-1")  # published figures: every office role
        page = client.get("/office/exports")
        assert page.status_code == 200 and "/office/exports/annual/xlsx?year=2025" in page.text
        assert "/office/exports/monthly/xlsx?month=2026-11" in page.text and "投诉" not in page.text.split("<h1>")[1]

        book = _book(client.get("/office/exports/annual/xlsx", params={"year": 2025}))
        assert book.sheetnames == ["评议结果", "分项满意率", "概况"]
        ws = book["评议结果"]
        assert ws.freeze_panes == "A2"
        assert _header(ws)[:4] == ["名次", "部门代码", "部门", "有效评议表数"] and "公布得分" in _header(ws)
        assert ws.column_dimensions["C"].width >= 8  # sized for the Chinese names
        rows = {r["部门代码"]: r for r in _records(ws)}
        assert len(rows) == len(api["results"])
        for r in api["results"]:
            got = rows[r["code"]]
            assert got["部门"] == r["name"] and got["名次"] == r["rank"] and got["等次"] == r["status_label"]
            assert got["有效评议表数"] == r["section_count"]
            assert got["计分说明"] == "；".join(r["explanation"])
            assert ("公布分" in got["计分说明"]) == (r["published"] is not None)
            if r["published"] is None:
                assert got["公布得分"] is None
            else:
                assert isinstance(got["公布得分"], int | float)  # a number, not text
                assert Decimal(str(got["公布得分"])) == Decimal(r["published"])
        # D01: sections 100, 95, 95 → 96.666… → 96.67 (half-up, one rounding); D02: 95, 95 → 95.00
        assert Decimal(str(rows["D01"]["公布得分"])) == Decimal("96.67") and rows["D01"]["名次"] == 1
        assert ws.cell(row=2, column=_header(ws).index("公布得分") + 1).number_format == "0.00"
        facts = dict(book["概况"].iter_rows(min_row=2, values_only=True))
        assert facts["输入摘要（digest）"] == api["digest"] and facts["公布版本"] == str(api["version"])

        table = _csv(client.get("/office/exports/annual/csv", params={"year": 2025}))
        assert table[0] == _header(ws)
        by_code = {row[1]: row for row in table[1:]}
        published_col = table[0].index("公布得分")
        assert by_code["D01"][published_col] == "96.67" and by_code["D02"][published_col] == "95.00"

        book = _book(client.get("/office/exports/monthly/xlsx", params={"month": "2026-11"}))
        assert book.sheetnames == ["月度考核排名", "考核细项", "概况"]
        ws = book["月度考核排名"]
        assert ws.freeze_panes == "A2" and _header(ws)[:3] == ["名次", "部门代码", "部门"] and "总分" in _header(ws)
        rows = {r["部门代码"]: r for r in _records(ws)}
        assert [r["code"] for r in monthly_api["rows"]] == [r["部门代码"] for r in _records(ws)]
        for r in monthly_api["rows"]:
            got = rows[r["code"]]
            assert got["名次"] == r["rank"] and Decimal(str(got["总分"])) == Decimal(r["total"])
            assert got["评定"] == r["award_label"] and got["一票否决"] == ("是" if r["vetoed"] else "否")
            for c in r["categories"]:
                assert Decimal(str(got[f"{c['name']}（满分 {c['max_points']}）"])) == Decimal(c["points"])
        items = _records(book["考核细项"])
        assert len(items) == sum(len(r["items"]) for r in monthly_api["rows"])
        one = next(i for i in monthly_api["rows"][0]["items"] if i["item_id"] == "1.6")
        got = next(i for i in items if i["部门代码"] == monthly_api["rows"][0]["code"] and i["项目编号"] == "1.6")
        assert Decimal(str(got["得分"])) == Decimal(one["points"]) and got["满分"] == one["max_points"]
        table = _csv(client.get("/office/exports/monthly/csv", params={"month": "2026-11"}))
        assert table[0] == _header(ws) and len(table) == len(monthly_api["rows"]) + 1


def test_complaints_export_contact_only_for_investigators_and_formulas_stay_text(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    codes = _setup(s, clock)
    with client_for(s, clock=clock) as client:
        login(client, "boss", "password-1")
        ws = _book(client.get("/office/exports/complaints/xlsx")).active
        assert "联系方式" not in _header(ws) and ws.freeze_panes == "A2"
        rows = {r["投诉编号"]: r for r in _records(ws)}
        assert set(rows) == set(codes.values())
        assert all(CONTACT not in str(v) for row in ws.iter_rows(values_only=True) for v in row)
        formula = rows[codes["formula"]]
        assert formula["投诉内容"] == FORMULA and formula["部门代码"] == "D01" and formula["状态"] == "已受理"
        cell = ws.cell(row=[c.value for c in ws["A"]].index(codes["formula"]) + 1,
                       column=_header(ws).index("投诉内容") + 1)
        assert cell.data_type == "s"  # text, never a formula
        assert str(formula["受理日期"])[:10] == "2026-11-05"
        table = _csv(client.get("/office/exports/complaints/csv"))
        assert CONTACT.encode() not in client.get("/office/exports/complaints/csv").content
        summary = table[0].index("投诉内容")
        assert {row[summary] for row in table[1:]} == {"'" + FORMULA, "窗口人员态度生硬"}
        ranged = _book(client.get("/office/exports/complaints/xlsx",
                                  params={"received_from": "2026-11-10", "received_to": "2026-11-30"})).active
        assert [r["投诉编号"] for r in _records(ranged)] == [codes["plain"]]
        bad = client.get("/office/exports/complaints/xlsx", params={"received_from": "11/10/2026"})
        assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
        reversed_ = client.get("/office/exports/complaints/xlsx",
                               params={"received_from": "2026-12-01", "received_to": "2026-11-01"})
        assert reversed_.status_code == 400 and "开始日期晚于结束日期" in reversed_.text
    with client_for(s, clock=clock) as client:
        login(client, "inv", "password-1")
        ws = _book(client.get("/office/exports/complaints/xlsx")).active
        rows = {r["投诉编号"]: r for r in _records(ws)}
        assert rows[codes["formula"]]["联系方式"] == CONTACT and rows[codes["plain"]]["联系方式"] in ("", None)
    for who in ("insp", "liaison"):
        with client_for(s, clock=clock) as client:
            login(client, who, "password-1")
            assert client.get("/office/exports/complaints/xlsx").status_code == 403
            assert client.get("/office/exports/complaints/csv").status_code == 403
    entries = run_at(s, clock, lambda: AuditEntry.select(AuditEntry.actor, AuditEntry.subject).where(
        AuditEntry.action == "export.download"))
    assert len(entries) == 5 and {e["actor"] for e in entries} == {"boss", "inv"}


def test_ratings_per_window_per_day_and_a_liaison_sees_only_its_department(any_settings):
    """D01 on 2 November (office time): 1 arm, counted 5 and 1 (one 差评: 50.00 %), 1 flagged repeat, and a web 4 at
    23:59; 3 November: a dismissed 差评 only (no counted rating, no row); D02 on 30 November: one 5; the press at
    00:00 on 1 December is not in November."""
    s, clock = any_settings, clock_at(*DEC_3)
    _setup(s, clock)
    with client_for(s, clock=clock) as client:
        login(client, "insp", "password-1")
        book = _book(client.get("/office/exports/ratings/xlsx", params={"month": "2026-11"}))
        ws = book.active
        assert ws.title == "2026-11 每日窗口评价" and ws.freeze_panes == "A2"
        assert _header(ws) == ["日期", "部门代码", "部门", "窗口代码", "窗口", "大厅", "渠道", "服务开始（叫号）次数",
                               "有效评价", "差评", "差评占比（%）", "无效按键（未叫号/重复）"]
        got = [(str(r["日期"])[:10], r["部门代码"], r["渠道"], r["服务开始（叫号）次数"], r["有效评价"], r["差评"],
                r["差评占比（%）"], r["无效按键（未叫号/重复）"]) for r in _records(ws)]
        assert got == [("2026-11-02", "D01", "扫码评价", 0, 1, 0, 0, 0),
                       ("2026-11-02", "D01", "评价器", 1, 2, 1, 50, 1),
                       ("2026-11-30", "D02", "评价器", 0, 1, 0, 0, 0)]
        table = _csv(client.get("/office/exports/ratings/csv", params={"month": "2026-11"}))
        assert table[2][10] == "50.00" and table[2][0] == "2026-11-02"
        bad = client.get("/office/exports/ratings/xlsx", params={"month": "2026-13"})
        assert bad.status_code == 400
        assert client.get("/office/exports/ratings/pdf", params={"month": "2026-11"}).status_code == 400
    with client_for(s, clock=clock) as client:
        login(client, "liaison", "password-1")  # D01's liaison
        ws = _book(client.get("/office/exports/ratings/xlsx", params={"month": "2026-11"})).active
        assert {r["部门代码"] for r in _records(ws)} == {"D01"}
        # a liaison cannot widen its export by asking for another department
        ws = _book(client.get("/office/exports/ratings/xlsx", params={"month": "2026-11", "department": "D02"})).active
        assert {r["部门代码"] for r in _records(ws)} == {"D01"}
    with client_for(s, clock=clock) as client:
        login(client, "inv", "password-1")
        assert client.get("/office/exports/ratings/xlsx", params={"month": "2026-11"}).status_code == 403


def test_exports_refuse_bad_input_and_anonymous_visitors(sqlite_settings):
    s, clock = sqlite_settings, clock_at(*DEC_3)
    _setup(s, clock)
    with client_for(s, clock=clock) as client:
        assert client.get("/office/exports/annual/xlsx", params={"year": 2025},
                          follow_redirects=False).status_code in (302, 401)
        assert client.get("/office/exports", follow_redirects=False).status_code in (302, 401)
        login(client, "boss", "password-1")
        unpublished = client.get("/office/exports/annual/xlsx", params={"year": 2099})
        assert unpublished.status_code == 404 and "PK" not in unpublished.text[:2]
        assert client.get("/office/exports/monthly/xlsx", params={"month": "2026-10"}).status_code == 404
        fmt = client.get("/office/exports/annual/docx", params={"year": 2025})
        assert fmt.status_code == 400 and "xlsx 或 csv" in fmt.text
        assert client.get("/office/exports/monthly/csv", params={"month": "11/2026"}).status_code == 400


def test_cli_export_writes_a_private_file_once_and_refuses_bad_input(sqlite_settings, tmp_path, monkeypatch, capsys):
    """`pingyi export …` writes the same sheets (0600, never over an existing file), audited as the CLI; complaints
    carry the contact only with --with-contact; bad input is exit 2 with one line."""
    import stat

    from pingyi.__main__ import main

    s, clock = sqlite_settings, clock_at(*DEC_3)
    _setup(s, clock)
    monkeypatch.setenv("PINGYI_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("PINGYI_DATABASE_URL", s.database.url)
    monkeypatch.setenv("PINGYI_SECRET_KEY", "0" * 64)
    out = tmp_path / "annual.xlsx"
    assert main(["export", "annual", "--year", "2025", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    ws = load_workbook(out)["评议结果"]
    assert {r["部门代码"]: r["公布得分"] for r in _records(ws)}["D01"] == 96.67
    assert main(["export", "annual", "--year", "2025", "--out", str(out)]) == 2  # never overwritten
    assert main(["export", "monthly", "--month", "2026-13", "--out", str(tmp_path / "m.xlsx")]) == 2
    assert main(["export", "annual", "--year", "2099", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert not (tmp_path / "m.xlsx").exists() and not (tmp_path / "x.xlsx").exists()
    plain, with_contact = tmp_path / "c.csv", tmp_path / "c2.csv"
    assert main(["export", "complaints", "--format", "csv", "--out", str(plain)]) == 0
    assert main(["export", "complaints", "--format", "csv", "--with-contact", "--out", str(with_contact)]) == 0
    assert CONTACT.encode() not in plain.read_bytes() and CONTACT.encode() in with_contact.read_bytes()
    assert plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", "ratings", "--month", "2026-11", "--department", "D02", "--out",
                 str(tmp_path / "r.xlsx")]) == 0
    assert {r["部门代码"] for r in _records(load_workbook(tmp_path / "r.xlsx").active)} == {"D02"}
    assert main(["export", "rectification", "--format", "csv", "--out", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbf\xe4\xbb\xbb")  # BOM, then 任务编号
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("pingyi: ") for line in err)
    cli = run_at(s, clock, lambda: AuditEntry.count().where((AuditEntry.action == "export.download")
                                                             & AuditEntry.actor.like("cli%")))
    assert cli == 5


def test_rectification_tasks_export_as_on_the_tasks_page_and_a_liaison_sees_its_own(any_settings):
    """Two tasks opened by the office (D01, D02) plus whatever the published month raised (its 较差): the office's
    export lists every task of followup.service.tasks; D01's liaison gets D01's only; an investigator is refused."""
    from pingyi.followup import service as followup

    s, clock = any_settings, clock_at(*DEC_3)
    _setup(s, clock)
    policy = followup.policy_for(s)
    boss = {"username": "boss", "role": "admin", "department_id": None}

    async def open_tasks():
        await followup.create_task(boss, policy, department_code="D01", reason="同一原因差评集中：=态度生硬",
                                   deadline="2026-12-31")
        await followup.create_task(boss, policy, department_code="D02", reason="超时办结集中", deadline="2027-01-15")

    run_at(s, clock, open_tasks)
    with client_for(s, clock=clock) as client:
        login(client, "insp", "password-1")
        ws = _book(client.get("/office/exports/rectification/xlsx")).active
        assert ws.title == "整改任务" and ws.freeze_panes == "A2"
        assert _header(ws)[:6] == ["任务编号", "来源", "期间", "部门代码", "部门", "整改原因"]
        rows = _records(ws)
        expected = run_at(s, clock, lambda: followup.tasks(boss))
        assert sorted(r["任务编号"] for r in rows) == sorted(t.id for t, _ in expected) and len(rows) >= 2
        d01 = next(r for r in rows if r["部门代码"] == "D01" and r["来源"] == "集中反映的问题")
        assert d01["整改原因"] == "同一原因差评集中：=态度生硬" and str(d01["整改期限"])[:10] == "2026-12-31"
        assert d01["状态"] == "整改中（待提交措施）" and d01["已超期"] == "否"
        table = _csv(client.get("/office/exports/rectification/csv"))
        assert table[0] == _header(ws) and len(table) == len(rows) + 1
    with client_for(s, clock=clock) as client:
        login(client, "liaison", "password-1")
        mine = _records(_book(client.get("/office/exports/rectification/xlsx")).active)
        assert mine and {r["部门代码"] for r in mine} == {"D01"}
    with client_for(s, clock=clock) as client:
        login(client, "inv", "password-1")
        assert client.get("/office/exports/rectification/xlsx").status_code == 403
