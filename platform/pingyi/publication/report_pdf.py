"""Publication layer: the comprehensive report and a department's feedback as A4 PDFs (SPEC §6, issue 11).

Built on render/pdf.py (fpdf2, CJK font subset embedded, fixed creation date): page numbers in the footer
(「第 N 页 / 共 M 页」), a table of contents on page 2 (fpdf2's placeholder, filled in at output), the charts as vector
paths (matplotlib SVG with the text as text in the embedded font, placed by fpdf2's SVG reader) and the office's
public key printed so a reader can check the bulletin. CPU-bound: call from a worker thread. Figures are the
snapshot's strings (already rounded half-up); nothing is formatted from a float here.
"""

from __future__ import annotations

import io
import re
from typing import Any

from fpdf.fonts import FontFace

from pingyi.render import pdf as render
from pingyi.render.fonts import require_cjk_font

from .charts import VECTOR_FOR_PDF

MARGIN = 18.0  # mm
BODY = 10.5  # pt
LINE = 6.0  # mm
HEAD_FILL = (232, 238, 245)
_SVG_SIZE = re.compile(rb'<svg[^>]*?width="([0-9.]+)pt" height="([0-9.]+)pt"')


class ReportDocument(render.Document):
    """An A4 document with a running title and the page number in the footer."""

    running_title = ""
    toc_start = 0  # the page the contents begin on, and how many pages they take (report_pdf sets them)
    toc_pages = 1

    def header(self) -> None:
        if self.page_no() > 1 and self.running_title:
            render.text_at(self, MARGIN, 8, self.running_title, size=8, gray=110, align="left")

    def footer(self) -> None:
        # cell(), not text(): fpdf2 fills the page-count alias in only in text laid out by cell()/multi_cell().
        self.set_y(self.h - 13)
        self.set_font(render.CJK, "", 8)
        self.set_text_color(90)
        self.cell(0, 4, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


def _document(title: str, fonts: tuple[str, ...] | None, text: str) -> ReportDocument:
    font = require_cjk_font(fonts, text)
    doc = ReportDocument(render.A4)
    doc.add_font(render.CJK, fname=str(font))
    doc.set_title(title)
    doc.set_creator("pingyi")
    doc.set_producer("pingyi")
    doc.set_creation_date(render.FIXED_DATE)
    doc.set_margins(MARGIN, 16, MARGIN)
    doc.set_auto_page_break(True, margin=20)
    doc.alias_nb_pages("{nb}")
    doc.running_title = title
    return doc


def _heading(doc: ReportDocument, text: str, level: int = 0) -> None:
    size = 15 if level == 0 else 12.5
    if doc.get_y() > doc.h - 60:
        doc.add_page()
    doc.start_section(text, level=level)
    doc.set_font(render.CJK, "", size)
    doc.set_text_color(20, 50, 90)
    doc.ln(2)
    doc.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_text_color(0)


def _para(doc: ReportDocument, text: str, size: float = BODY, gray: int = 0) -> None:
    doc.set_font(render.CJK, "", size)
    doc.set_text_color(gray)
    doc.multi_cell(0, LINE, text, new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    doc.set_text_color(0)


def _table(doc: ReportDocument, header: list[str], rows: list[list[str]], widths: tuple[float, ...],
           align: tuple[str, ...] | None = None) -> None:
    doc.set_font(render.CJK, "", 9)
    with doc.table(col_widths=widths, text_align=align or "LEFT", line_height=5.5, padding=1.2,
                   headings_style=FontFace(fill_color=HEAD_FILL), wrapmode="CHAR", first_row_as_headings=True) as t:
        for values in [header, *rows]:
            row = t.row()
            for v in values:
                row.cell(v)
    doc.ln(3)


def _chart(doc: ReportDocument, svg: bytes, width: float = 174.0, heading: str = "") -> None:
    """A chart as vector paths, `width` mm wide, centred; with its heading kept on the same page."""
    size = _SVG_SIZE.search(svg[:600])  # matplotlib's <svg width="576pt" height="…pt">: no second parse for it
    height = width * float(size.group(2)) / float(size.group(1)) if size else width * 0.6
    if doc.get_y() + height + (14 if heading else 0) > doc.h - 22:
        doc.add_page()
    if heading:
        _heading(doc, heading, 1)
    doc.image(io.BytesIO(svg), x=doc.l_margin + (doc.epw - width) / 2, y=doc.get_y(), w=width, h=height)
    doc.set_y(doc.get_y() + height + 3)


def _toc_pages(entries: int) -> int:
    """Pages the contents take: fpdf2 wants the exact count up front (7.5 mm a line; the first page has the
    title; counted low, so at worst _toc pads with an empty page)."""
    first, later = 32, 34
    return 1 if entries <= first else 1 + -(-(entries - first) // later)


def _toc(doc: Any, outline: list[Any]) -> None:
    doc.set_x(MARGIN)  # the footer's cell left x at the right margin
    doc.set_font(render.CJK, "", 15)
    doc.set_text_color(20, 50, 90)
    doc.multi_cell(0, 9, "目　录", new_x="LMARGIN", new_y="NEXT", align="C")
    doc.ln(4)
    doc.set_text_color(0)
    for entry in outline:
        size = 11 if entry.level == 0 else 10
        doc.set_font(render.CJK, "", size)
        indent = 8 * entry.level
        doc.set_x(MARGIN + indent)
        page = str(entry.page_number)
        doc.cell(doc.epw - indent - 14, 7.5, str(entry.name), link=doc.add_link(page=entry.page_number))
        doc.cell(14, 7.5, page, align="R", new_x="LMARGIN", new_y="NEXT")
    while doc.page < doc.toc_start + doc.toc_pages - 1:
        doc.add_page()


def _all_text(data: dict[str, Any]) -> str:
    parts = [data["title"], *(r["name"] for r in data["ranking"]), *(r["status_label"] for r in data["ranking"])]
    parts += [label for r in data["ranking"] for label in r["consequence_labels"]]
    parts += [line for r in data["ranking"] for line in r["explanation"]]
    parts += [t for o in data["opinions"] for t in o["texts"]]
    parts += [str(v) for t in data["tasks"] for v in t.values()]
    parts += [a["name"] for r in data["ranking"] for a in (r["aspects"] or [])]
    parts += [m["name"] for m in data["halls"]["maps"]] + data["halls"]["without"]
    for m in data["symposia"]:
        parts += [m["place"], *m["counts"], *(v for a in m["missing"] for v in a.values())]
        parts += [t for o in m["opinions"] for t in o["texts"]]
    return "".join(parts) + ("综合评议报告目录第页共概况名次部门得分等次有效份属实投诉意见建议整改情况后果公钥核验"
                             "座谈会出席地点时间月度考核走势平均最高最低参评率差评占比周一二三四五六日时段大厅次")


def report_pdf(data: dict[str, Any], fonts: tuple[str, ...] | None = None,
               vectors: dict[str, bytes] | None = None) -> bytes:
    """The comprehensive report: cover, contents, summary, ranking, charts (with the monthly trends and the halls'
    hour × weekday maps), opinions, the symposium, consequences, rectification, how to check the bulletin (with the
    office's public key)."""
    from .report import draw_charts

    title = f"{data['title']} 综合评议报告"
    doc = _document(title, fonts, _all_text(data))
    figures = vectors if vectors is not None else draw_charts(data, VECTOR_FOR_PDF, fonts)
    doc.add_page()
    render.text_at(doc, doc.w / 2, 80, data["title"], size=20, rgb=(20, 50, 90))
    render.text_at(doc, doc.w / 2, 96, "综合评议报告", size=26, rgb=(20, 50, 90))
    render.text_at(doc, doc.w / 2, 130, f"第 {data['version']} 版 · 公布于 {data['published_on']}", size=12)
    render.text_at(doc, doc.w / 2, 140, f"参评部门 {data['department_count']} 个", size=12)
    render.text_at(doc, doc.w / 2, 250, f"sha256 {data['digest'][:32]}", size=8, family=render.MONO, gray=90)
    doc.add_page()
    # 8 sections, 6 chart headings (3 + 2 trends + the hall maps' heading), one per department's opinions, one per
    # symposium
    doc.toc_pages = _toc_pages(14 + len(data["opinions"]) + len(data["symposia"]))
    doc.toc_start = doc.page
    doc.insert_toc_placeholder(_toc, pages=doc.toc_pages)  # the next page follows it
    _heading(doc, "一、评议概况")
    t = data["turnout"]
    share = f"，回收率 {t['used_share']}%" if t["used_share"] is not None else ""
    _para(doc, f"本次评议共发出评议卡 {t['cards_issued']} 张，收回 {t['cards_used']} 张{share}，有效评议表 "
               f"{t['ballots']} 份。参评部门 {data['department_count']} 个。满意 ≥ 85 分，基本满意 ≥ 70 分；"
               f"每件属实投诉扣 20 分。有效评议少于 {data['k']} 份的部门不公开分项明细和意见。")
    _table(doc, ["等次", "部门数"], [[label, str(n)] for label, n in data["grade_counts"].items()], (60, 40),
           ("LEFT", "RIGHT"))
    _chart(doc, figures["grades"], 120)

    _heading(doc, "二、评议结果排名")
    _table(doc, ["名次", "部门", "得分", "等次", "有效评议", "属实投诉"],
           [[str(r["rank"] or "—"), r["name"], r["published"] or "—", r["status_label"], str(r["section_count"]),
             str(r["substantiated"])] for r in data["ranking"]],
           (14, 62, 22, 26, 24, 26), ("RIGHT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT"))

    doc.add_page()  # the charts start on a page of their own
    _heading(doc, "三、图表")
    _chart(doc, figures["ranking"], heading="得分排名")
    _chart(doc, figures["aspects"], heading="分方面得分率")
    _chart(doc, figures["complaints"], heading="属实投诉")
    trend = data["trend"]
    _chart(doc, figures["trend-assessment"], heading="月度考核走势")
    _para(doc, f"{data['year']} 年各月已公布的月度窗口考核：全县平均、最高、最低总分。未公布的月份为空缺，不按零计"
               + ("（本年度尚无已公布的月份）。" if not trend["months"] else "。"), 9, 90)
    _chart(doc, figures["trend-ratings"], heading="好差评走势")
    _para(doc, "参评率 = 计入评价 ÷ 服务人次（与月度考核 1.6 项同一口径，取自各月公布的考核数据），"
               "差评占比 = 计入差评 ÷ 计入评价。", 9, 90)
    if trend["months"]:
        _table(doc, ["月份", "平均总分", "最高", "最低", "计入评价", "服务人次", "参评率", "差评占比"],
               [[m["month"], m["mean"], m["highest"], m["lowest"], str(m["counted"]), str(m["served"]),
                 f"{m['participation']}%" if m["participation"] is not None else "—",
                 f"{m['bad_share']}%" if m["bad_share"] is not None else "—"] for m in trend["months"]],
               (20, 22, 20, 20, 22, 22, 24, 24), ("LEFT", *("RIGHT",) * 7))
    halls = data["halls"]
    _heading(doc, "评价器评价时段", 1)
    _para(doc, f"{data['year']} 年计入的评价器评价（不含扫码评价），按办公地时区（{halls['timezone']}）的星期和钟点"
               "统计，每个大厅一张图。" + (f"本年度无评价器评价的大厅：{'、'.join(halls['without'])}。"
                                          if halls["without"] else ""), 9, 90)
    if not halls["maps"]:
        _para(doc, "本年度无评价器评价。")
    for m in halls["maps"]:
        _chart(doc, figures[m["chart"]])

    _heading(doc, "四、意见和建议")
    if data["withheld"]:
        _para(doc, f"以下部门有效评议少于 {data['k']} 份，意见不予公开：{'、'.join(data['withheld'])}。", 9, 90)
    for o in data["opinions"]:
        _heading(doc, o["name"], 1)
        if not o["texts"]:
            _para(doc, "（无文字意见）", 9, 90)
        for i, text in enumerate(o["texts"], 1):
            _para(doc, f"{i}. {text}", 9.5)

    _heading(doc, "五、座谈会")
    if not data["symposia"]:
        _para(doc, "本年度未登记座谈会。")
    for m in data["symposia"]:
        _heading(doc, f"{m['held_on']} 座谈会", 1)
        _para(doc, f"时间 {m['held_on']}，地点 {m['place']}。出席情况："
                   + "，".join(f"{label} {n} 个部门" for label, n in m["counts"].items()) + "。")
        if m["missing"]:
            _para(doc, "主要领导未出席的部门：")
            _table(doc, ["部门", "出席情况", "出席人", "说明"],
                   [[a["name"], a["label"], a["attendee"] or "—", a["note"] or "—"] for a in m["missing"]],
                   (50, 30, 44, 50))
        else:
            _para(doc, "各部门主要领导均出席。")
        if m["withheld"]:
            _para(doc, f"以下部门有效评议少于 {data['k']} 份，座谈会意见不予公开：{'、'.join(m['withheld'])}。", 9, 90)
        for o in m["opinions"]:
            _para(doc, o["name"], 10)
            for i, text in enumerate(o["texts"], 1):
                _para(doc, f"{i}. {text}", 9.5)

    _heading(doc, "六、评议结果运用")
    if data["consequences"]:
        _table(doc, ["部门", "得分", "等次", "结果运用"],
               [[c["name"], c["published"] or "—", c["status_label"], "；".join(c["labels"])]
                for c in data["consequences"]], (50, 20, 24, 80))
    else:
        _para(doc, "本年度无须运用评议结果的部门。")

    _heading(doc, "七、整改情况")
    if data["tasks"]:
        _para(doc, "整改任务 " + "，".join(f"{state} {n} 件" for state, n in data["task_states"].items()) + "。")
        _table(doc, ["部门", "来源", "原因", "期限", "状态"],
               [[t["department"], t["source"], t["reason"], t["deadline"], t["state"] + ("（逾期）" if t["overdue"]
                                                                                           else "")]
                for t in data["tasks"]], (36, 24, 62, 24, 28))
    else:
        _para(doc, "暂无整改任务。")

    _heading(doc, "八、公告核验")
    _para(doc, f"逐份评议公告可从 /bulletin/{data['year']} 下载（JSON 与 CSV，附本单位的 Ed25519 签名），"
               "用本单位公钥和仓库中的 verify_bulletin.py 即可独立核验每个得分、等次和名次。本单位公钥：")
    doc.set_font(render.MONO, "", 8)
    doc.multi_cell(0, 4.5, data["key"]["line"], new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    doc.ln(2)
    _para(doc, f"数据摘要：{data['digest']}", 8, 90)
    return render.to_bytes(doc)


def feedback_pdf(feedback: dict[str, Any], title: str, fonts: tuple[str, ...] | None = None) -> bytes:
    """One department's feedback (SPEC §2): its result and explanation and, at k or more sections, its per-item
    rates and the opinions."""
    r = feedback["result"]
    texts = [title, r["name"], r["status_label"], *r["explanation"], *r["consequence_labels"],
             *(f"{i['aspect']}{i['text']}" for i in feedback["item_rates"] or []), *(feedback["opinions"] or [])]
    doc_title = f"{title} · {r['name']} 评议反馈"
    doc = _document(doc_title, fonts, "".join(texts) + "评议反馈意见建议分项得分率名次等次")
    doc.add_page()
    _heading(doc, doc_title)
    _para(doc, f"得分 {r['published'] or '—'}，等次 {r['status_label']}，名次 {r['rank'] or '—'}，"
               f"有效评议 {r['section_count']} 份，属实投诉 {r['substantiated']} 件。")
    if r["consequence_labels"]:
        _para(doc, "结果运用：" + "；".join(r["consequence_labels"]))
    _heading(doc, "得分说明", 1)
    for line in r["explanation"]:
        _para(doc, line, 9.5)
    if feedback["item_rates"] is None:
        _para(doc, f"有效评议少于 {feedback['k']} 份，分项明细和意见不予反馈。", 9.5, 90)
        return render.to_bytes(doc)
    _heading(doc, "分项得分率", 1)
    _table(doc, ["方面", "评议项", "得分率（%）"],
           [[i["aspect"], i["text"], i["percent"]] for i in feedback["item_rates"]], (34, 116, 24),
           ("LEFT", "LEFT", "RIGHT"))
    _heading(doc, "意见和建议", 1)
    if not feedback["opinions"]:
        _para(doc, "（无文字意见）", 9.5, 90)
    for i, text in enumerate(feedback["opinions"], 1):
        _para(doc, f"{i}. {text}", 9.5)
    return render.to_bytes(doc)
