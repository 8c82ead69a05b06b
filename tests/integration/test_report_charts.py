"""Integration: the comprehensive report's monthly trends, the halls' hour × weekday maps, the symposium section and
the publication date in the office's time zone (issue 11; docs/report.md). SQLite and PostgreSQL.

- the maps count counted terminal ratings of the campaign year by their corrected time in the office's time zone
  (a rating at 23:30 UTC is the next day, 07:xx, in Asia/Shanghai; the year's bounds are local too), per hall;
- the trends read the year's published monthly snapshots: an unpublished month is missing, and publishing a month
  makes a new report (the cache key holds the year's monthly publications);
- the symposium: date, place, attendance, the departments whose main leader did not attend, opinions only at ≥ k;
- the date a version was published is the office's date, not the UTC timestamp's first 10 characters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pingyi.assessment import service as assessment
from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.clock import FixedClock
from pingyi.core import symposium as rules
from pingyi.core.scoring import round_half_up
from pingyi.evaluation import service as evaluation
from pingyi.evaluation import symposium
from pingyi.hall import service as hall
from pingyi.ops.demo import load_demo
from pingyi.ops.demo_year import store_events
from pingyi.publication import report
from pingyi.publication import service as publication
from pingyi.ratings.service import seed_demo_windows
from pingyi.ratings.tables import Rating
from pingyi_terminal import protocol

from .helpers import full_section, open_campaign
from .test_report import pdf_text
from .webclient import client_for

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def ms(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp() * 1000)


def event(tid: str, seq: int, wall_ms: int, kind: str = "press", level: int | None = 5,
          flags: tuple[str, ...] = ()) -> protocol.Event:
    return protocol.Event(terminal=tid, epoch="tz", seq=seq, kind=kind, level=level if kind == "press" else None,
                          scale="five", flags=flags, boot="b", mono_ms=1000 * seq, wall_ms=wall_ms, synced=True)


def test_hall_maps_count_counted_terminal_ratings_by_office_time(any_settings) -> None:
    s = any_settings

    async def work():
        await hall.add_missing_departments(load_catalog(s.surveys_dir).departments)
        pairs = dict(await seed_demo_windows(["D01", "D02", "D03"], count=3, prefix="tz"))  # terminal → window
        await hall.add_hall("H1", "一号大厅", "test")
        await hall.add_hall("H2", "二号大厅", "test")
        await hall.assign_window(pairs["tz-0001"], "H1", "test")
        await hall.assign_window(pairs["tz-0002"], "H2", "test")  # H2: no ratings; tz-0003's window: no hall
        await store_events([
            event("tz-0001", 1, ms(2024, 12, 31, 16, 30)),  # 2025-01-01 00:30 Shanghai (a Wednesday): in 2025
            event("tz-0001", 2, ms(2025, 12, 31, 23, 30)),  # 2026-01-01 07:30 Shanghai: not in 2025
            event("tz-0001", 3, ms(2025, 6, 3, 23, 30)),  # Tuesday 23:30 UTC = Wednesday 07:30 Shanghai
            event("tz-0001", 4, ms(2025, 6, 3, 23, 40), level=1),  # a 差评, dismissed below: not counted
            event("tz-0001", 5, ms(2025, 6, 3, 23, 45), kind="arm"),  # an arm event: not a rating
            event("tz-0001", 6, ms(2025, 6, 3, 23, 50), flags=(protocol.FLAG_REPEAT,)),  # flagged: not counted
            event("tz-0001", 7, ms(2025, 6, 3, 23, 55)),  # made a web rating below: not a terminal rating
            event("tz-0003", 1, ms(2025, 3, 3, 2, 0)),  # Monday 10:00 Shanghai, a window in no hall
        ])
        await Rating.update({Rating.dismissed: True}).where(Rating.seq == 4)
        await Rating.update({Rating.channel: "web"}).where(Rating.seq == 7)
        return await report.hall_data(2025)

    data = run_db(s, work, clock=FixedClock(NOW))
    maps = {m["code"]: m for m in data["maps"]}
    assert list(maps) == ["H1", "unassigned"] and data["without"] == ["二号大厅"]
    assert data["timezone"] == "Asia/Shanghai"
    h1 = maps["H1"]["grid"]
    assert maps["H1"]["total"] == 2 and maps["H1"]["chart"] == "hours-H1"
    assert h1[2][0] == 1  # Wednesday 00:00–01:00 (2025-01-01 local), not Tuesday 16:00 (UTC)
    assert h1[2][7] == 1 and h1[1][23] == 0  # Wednesday 07:00, not Tuesday 23:00
    assert maps["unassigned"]["name"] == "未分配大厅" and maps["unassigned"]["grid"][0][10] == 1


def _publish_month(month: str):
    async def work():
        await assessment.close_month(month, "admin")
        await assessment.publish_month(month, "admin")
    return work


def test_demo_report_trends_symposium_and_office_date(any_settings, tmp_path) -> None:
    s = any_settings
    late = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)  # 2026-12-03 00:30 in Asia/Shanghai
    clock = FixedClock(late)
    run_db(s, lambda: load_demo(s), clock=clock)
    departments = list(load_catalog(s.surveys_dir).departments)
    with client_for(s, clock=clock) as client:
        page = client.get("/results/2025/report").text
        assert "公布于 2026-12-03" in page and "2026-12-02" not in page  # the office's date, not UTC's
        assert "公布于 2026-12-03" in client.get("/results/2025").text
        _, _, text = pdf_text(client.get("/results/2025/report.pdf").content, tmp_path)
        assert "公布于 2026-12-03" in text

        # the trend table: the published months only (November's ratings are stored, the month is not published)
        assert "<td>2025-09</td>" in page and "<td>2025-10</td>" in page and "<td>2025-12</td>" in page
        assert "<td>2025-11</td>" not in page
        doc = client.get("/api/v1/monthly/2025-10").json()  # the published month's own totals
        totals = [Decimal(r["total"]) for r in doc["rows"]]
        mean = round_half_up(sum(totals) / len(totals), 2)
        row = page[page.index("<td>2025-10</td>"):].split("</tr>")[0]
        assert f'<td class="num">{mean}</td><td class="num">{max(totals)}</td><td class="num">{min(totals)}</td>' \
            in row
        assert "%" in row and "计入评价" in page and "月度考核走势" in text and "2025-12" in text

        # the symposium: the demo's fourth department sent a deputy, the last one nobody
        assert "五、座谈会" in page and "2025-12-15" in page and "县政务服务中心三楼会议室" in page
        assert f"{rules.ATTENDANCE_LABELS[rules.LEADER]} {len(departments) - 2} 个部门" in page
        section = page[page.index('id="symposium"'):page.index('id="consequences"')]
        assert f"<td>{departments[3].name}</td><td>委派他人出席</td>" in section
        assert f"<td>{departments[-1].name}</td><td>未出席</td>" in section
        assert departments[0].name in section and "希望窗口延长午间服务时间" in section  # ≥ k: its opinions shown
        assert "座谈会" in text and departments[-1].name in text

        cache = report.for_app(client.app.state)
        renders = cache.renders
        client.get("/results/2025/report/charts/trend-assessment.svg")
        assert cache.renders == renders  # drawn once per version

        run_db(s, _publish_month("2025-11"), clock=clock)  # a month of the year published: a new report
        again = client.get("/results/2025/report").text
        assert "<td>2025-11</td>" in again
        svg = client.get("/results/2025/report/charts/trend-assessment.svg")
        assert svg.status_code == 200 and cache.renders == renders + 1


def test_symposium_opinions_only_for_departments_with_k_sections(any_settings, tmp_path) -> None:
    s = any_settings

    async def work() -> None:
        tokens = await open_campaign(s, year=2025, cards=3, k=2)
        for token in tokens[:2]:  # D01: two sections (= k); D02: one (below k)
            await evaluation.submit_ballot(token, {"D01": full_section(s), "D02": full_section(s)}
                                           if token == tokens[0] else {"D01": full_section(s)}, {})
        sid = await symposium.record_symposium(2025, "2025-12-10", "二楼会议室", actor="test")
        await symposium.set_attendance(2025, sid, "D01", rules.LEADER, "张某 局长", actor="test")
        await symposium.set_attendance(2025, sid, "D02", rules.ABSENT, "", "未请假", actor="test")
        await symposium.add_note(2025, sid, "D01", "座谈会上对一局的意见", actor="test")
        await symposium.add_note(2025, sid, "D02", "座谈会上对二局的意见不可公开", actor="test")
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")

    run_db(s, work, clock=FixedClock(NOW))
    catalog = list(load_catalog(s.surveys_dir).departments)
    names = {d.code: d.name for d in catalog}
    with client_for(s, clock=FixedClock(NOW)) as client:
        page = client.get("/results/2025/report").text
        section = page[page.index('id="symposium"'):page.index('id="consequences"')]
        assert "2025-12-10" in section and "二楼会议室" in section
        assert "座谈会上对一局的意见" in section and "不可公开" not in page
        assert f"座谈会意见不予公开：{names['D02']}" in section
        assert f"<td>{names['D02']}</td><td>未出席</td><td>—</td><td>未请假</td>" in section  # the absent leader
        assert f"<td>{names['D03']}</td><td>未登记</td>" in section  # nothing recorded: not assumed present
        assert f"<td>{names['D01']}</td>" not in section  # its main leader attended
        assert f"主要领导出席 1 个部门，委派他人出席 0 个部门，未出席 1 个部门，未登记 {len(catalog) - 2} 个部门" \
            in section
        assert "本年度无评价器评价" in page  # no ratings at all: the maps say so, the route lists no hall chart
        _, _, text = pdf_text(client.get("/results/2025/report.pdf").content, tmp_path)
        assert "座谈会上对一局的意见" in text and "不可公开" not in text and "二楼会议室" in text
