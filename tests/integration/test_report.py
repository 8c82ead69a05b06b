"""Integration: the comprehensive report (综合评议报告) of a published campaign — web page, SVG charts, PDF — and a
department's feedback PDF (SPEC §6, issue 11; docs/report.md). SQLite and PostgreSQL.

The report is public like the results; it is drawn once per published version (a correction is a new version and
a new report); opinions appear only for departments with at least k sections; a liaison downloads only its own
department's feedback; the PDF is A4 with the CJK font embedded, a table of contents, page numbers and the
office's public key.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pingyi.accounts import service as accounts
from pingyi.audit import repository as audit_repository
from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.clock import FixedClock
from pingyi.evaluation import service as evaluation
from pingyi.ops.demo import DEMO_PASSWORD, load_demo
from pingyi.publication import report
from pingyi.publication import service as publication
from pingyi.settings import Settings

from .helpers import full_section, open_campaign
from .webclient import client_for, login, post_form

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
YEAR = 2025  # the demo's published year at NOW


def demo(settings: Settings) -> FixedClock:
    clock = FixedClock(NOW)
    run_db(settings, lambda: load_demo(settings), clock=clock)
    return clock


def pdf_text(data: bytes, tmp: Path, name: str = "r.pdf") -> tuple[str, str, str]:
    path = tmp / name
    path.write_bytes(data)
    run = [subprocess.run([tool, str(path), *extra], capture_output=True, text=True, check=True).stdout
           for tool, extra in (("pdfinfo", []), ("pdffonts", []), ("pdftotext", ["-layout", "-"]))]
    return run[0], run[1], run[2]


def test_the_demo_report_page_charts_and_pdf(any_settings, tmp_path) -> None:
    clock = demo(any_settings)
    with client_for(any_settings, clock=clock) as client:
        results = client.get(f"/api/v1/results/{YEAR}").json()
        key_line = client.get("/bulletin/office-key.pub").text.strip()
        page = client.get(f"/results/{YEAR}/report")
        assert page.status_code == 200, page.text
        html = page.text
        for heading in ("一、评议概况", "二、评议结果排名", "三、图表", "四、意见和建议", "五、座谈会",
                        "六、评议结果运用", "七、整改情况", "八、公告核验"):
            assert heading in html
        assert key_line in html  # the office's public key, the same line as the published key file
        turnout = results["turnout"]
        assert f"发出评议卡 {turnout['cards_issued']} 张，收回 {turnout['cards_used']} 张" in html
        for r in results["results"]:  # every department with its published figure and grade, in ranking order
            assert f"<td>{r['name']}</td><td class=\"num\">{r['published'] or '—'}</td>" in html
        positions = [html.index(f"<td>{r['name']}</td>") for r in results["results"]]
        assert positions == sorted(positions)
        for label, n in results["grade_counts"].items():
            assert f"<tr><td>{label}</td><td class=\"num\">{n}</td></tr>" in html
        assert "县财政局" in html and "整改" in html  # the demo's rectification task for its 不满意 department
        names = [*report.CHART_NAMES, "hours-H01"]  # the demo's one hall has terminal ratings in 2025
        assert re.findall(r"/report/charts/([\w-]+)\.svg", html) == ["grades", "ranking", "aspects", "complaints",
                                                                      "trend-assessment", "trend-ratings", "hours-H01"]
        for name in names:
            chart = client.get(f"/results/{YEAR}/report/charts/{name}.svg")
            assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
            assert b"<svg" in chart.content
            assert f"/results/{YEAR}/report/charts/{name}.svg" in html
        missing = client.get(f"/results/{YEAR}/report/charts/secret.svg")
        assert missing.status_code == 404 and "没有名为" in missing.text
        assert "可用的有：" + "、".join(f"{n}.svg" for n in names) in missing.text  # the valid names, listed
        assert client.get(f"/results/{YEAR}/report/charts/hours-H99.svg").status_code == 404  # no such hall
        assert client.get(f"/results/{YEAR}/report/charts/ranking.png").status_code == 404
        assert client.get("/results/1999/report").status_code == 404
        big = "99999999999999999999"  # beyond PostgreSQL's integers: a 4xx, never a 500
        for path in (f"/results/{big}/report", f"/results/{big}/report.pdf",
                     f"/results/{big}/report/charts/ranking.svg"):
            assert 400 <= client.get(path).status_code < 500, path

        response = client.get(f"/results/{YEAR}/report.pdf")
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        info, fonts, text = pdf_text(response.content, tmp_path)
        assert "Page size:       595.28 x 841.89 pts (A4)" in info
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages >= 5
        assert "WenQuanYi" in fonts or "Noto" in fonts
        cjk = next(line for line in fonts.splitlines() if "WenQuanYi" in line or "Noto" in line).split()
        assert cjk[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, with a ToUnicode map
        assert "综合评议报告" in text and re.search(r"目\s+录", text)
        for heading in ("一、评议概况", "三、图表", "五、座谈会", "七、整改情况", "八、公告核验"):
            assert text.count(heading) >= 2  # in the contents and as a heading
        for n in range(1, pages + 1):
            assert f"第 {n} 页 / 共 {pages} 页" in text
        assert key_line.split()[1][:40] in text.replace("\n", "").replace(" ", "")
        assert results["results"][0]["name"] in text and results["results"][0]["published"] in text
        assert "<svg" not in text and "得分排名" in text  # the charts drawn (as paths), not their source

        # cached per published version: asking again draws nothing
        cache = report.for_app(client.app.state)
        renders = cache.renders
        assert client.get(f"/results/{YEAR}/report.pdf").content == response.content
        client.get(f"/results/{YEAR}/report/charts/ranking.svg")
        assert cache.renders == renders

        # a correction is a new version: a new report
        login(client, "admin", DEMO_PASSWORD)
        assert post_form(client, f"/office/results/{YEAR}", f"/office/results/{YEAR}/compute",
                         {"reason": "更正录入错误"}).status_code == 303
        version = results["version"] + 1
        assert post_form(client, f"/office/results/{YEAR}", f"/office/results/{YEAR}/publish/{version}",
                         {"reason": "更正录入错误"}).status_code == 303
        again = client.get(f"/results/{YEAR}/report")
        assert f"第 {version} 版" in again.text and "更正理由：更正录入错误" in again.text
        assert client.get(f"/results/{YEAR}/report.pdf").content != response.content
        assert cache.renders == renders + 2  # the new version's charts and its PDF, once each


def test_opinions_only_for_departments_with_k_sections_and_feedback_pdf_only_for_own_department(
        any_settings, tmp_path) -> None:
    s = any_settings

    async def work() -> None:
        tokens = await open_campaign(s, year=2025, cards=3, k=2)
        # D01: three sections (≥ k); D02: one section (below k)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s)},
                                       {"D01": "窗口人员热情周到", "D02": "只此一份的意见不可公开"})
        await evaluation.submit_ballot(tokens[1], {"D01": full_section(s)}, {"D01": "材料清单清楚"})
        await evaluation.submit_ballot(tokens[2], {"D01": full_section(s)}, {})
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")
        await accounts.create_user("liaison", "password-1", "liaison", department_code="D01", actor="test")

    run_db(s, work, clock=FixedClock(NOW))
    names = {d.code: d.name for d in load_catalog(s.surveys_dir).departments}
    with client_for(s, clock=FixedClock(NOW)) as client:
        html = client.get("/results/2025/report").text
        assert "窗口人员热情周到" in html and "材料清单清楚" in html
        assert "只此一份的意见不可公开" not in html
        assert f"意见不予公开：{names['D02']}" in html or f"、{names['D02']}" in html
        pdf = client.get("/results/2025/report.pdf")
        _, _, text = pdf_text(pdf.content, tmp_path)
        assert "窗口人员热情周到" in text and "只此一份的意见不可公开" not in text

        assert client.get("/office/feedback/2025/D01/feedback.pdf", follow_redirects=False).status_code in (
            302, 303, 401)  # a visitor: log in first
        login(client, "liaison", "password-1")
        assert 'href="/office/feedback/2025/D01/feedback.pdf"' in client.get("/office/feedback").text
        own = client.get("/office/feedback/2025/D01/feedback.pdf")
        assert own.status_code == 200 and own.headers["content-type"] == "application/pdf"
        _, fonts, text = pdf_text(own.content, tmp_path, "f.pdf")
        assert f"{names['D01']} 评议反馈" in text and "分项得分率" in text and "材料清单清楚" in text
        assert "只此一份" not in text
        foreign = client.get("/office/feedback/2025/D02/feedback.pdf")
        assert foreign.status_code == 403 and "本部门" in foreign.text
        assert client.get("/office/feedback/2025/ZZZ/feedback.pdf").status_code == 403

    async def entries():
        return [e for e in await audit_repository.all_entries() if e.action == "feedback.download"]

    logged = run_db(s, entries)
    assert len(logged) == 1 and logged[0].detail["department"] == "D01"
