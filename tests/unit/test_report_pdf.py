"""Unit tests for pingyi.publication.report_pdf (issue 11): the report PDF builds for any number of departments
(the table of contents may span several pages: fpdf2 needs the exact count), page numbers are right, the figures
printed are the snapshot's strings."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from pingyi.publication import report, report_pdf


def department(i: int) -> dict:
    published = f"{90 - i // 2}.{50 if i % 2 else 0:02d}"  # the report prints the snapshot's strings as they are
    return {"code": f"D{i:02d}", "name": f"县测试局{i}", "published": published, "status": "satisfied",
            "status_label": "满意", "rank": i + 1, "section_count": 12, "substantiated": i % 2, "small_cell": False,
            "consequence_labels": ["列入表扬名单"] if i == 0 else [], "explanation": [f"{published} 分"],
            "aspects": [{"key": "a", "name": "工作作风", "percent": "91.25"}]}


def data(n: int) -> dict:
    ranking = [department(i) for i in range(n)]
    return {"year": 2025, "title": "2025年度外来投资企业民主评议", "k": 5, "version": 1, "digest": "ab" * 32,
            "published_at": "2026-01-10T09:00:00+08:00", "reason": "",
            "turnout": {"cards_issued": 80, "cards_used": 61, "ballots": 61, "used_share": "76.3"},
            "grade_counts": {"满意": n, "基本满意": 0, "不满意": 0}, "department_count": n, "ranking": ranking,
            "opinions": [{"code": r["code"], "name": r["name"], "texts": ["窗口人员热情"]} for r in ranking],
            "withheld": [], "consequences": [], "tasks": [], "task_states": {}, "published_on": "2026-01-10",
            "trend": {"months": [{"month": "2025-03", "departments": n, "mean": "90.25", "highest": "99.50",
                                  "lowest": "80.00", "counted": 7, "served": 8, "bad": 1, "participation": "87.5",
                                  "bad_share": "14.3"}],
                      "assessment": [None, None, ("90.25", "99.50", "80.00")] + [None] * 9,
                      "ratings": [None, None, ("87.5", "14.3")] + [None] * 9},
            "halls": {"maps": [{"code": "H1", "name": "测试大厅", "chart": "hours-H1", "total": 3,
                                "grid": [[1] * 24] + [[0] * 24] * 6}], "without": ["空大厅"],
                      "timezone": "Asia/Shanghai"},
            "symposia": [{"held_on": "2025-12-15", "place": "三楼会议室",
                          "counts": {"主要领导出席": n - 1, "未出席": 1},
                          "missing": [{"name": "县测试局0", "label": "未出席", "attendee": "", "note": "外出"}],
                          "opinions": [{"name": "县测试局1", "texts": ["座谈会上的意见"]}], "withheld": []}],
            "key": {"key_id": "k1", "line": "pingyi-ed25519 " + "A" * 43 + "= k1"}}


@pytest.mark.parametrize("n", [1, 21, 23, 60])
def test_report_pdf_builds_with_contents_over_several_pages(n: int, tmp_path: Path) -> None:
    logging.disable(logging.WARNING)
    d = data(n)
    pdf = report_pdf.report_pdf(d, vectors=report.draw_charts(d, "svg-pdf"))
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "")
    for page in range(1, pages + 1):
        assert f"第{page}页/共{pages}页" in flat
    assert f"县测试局{n - 1}" in text and "回收率 76.3%" in text
    assert "2025-03" in text and "87.5%" in text and "90.25" in text  # the trend's figures, the strings as given
    assert "五、座谈会" in text and "三楼会议室" in text and "测试大厅" in text and "空大厅" in text
