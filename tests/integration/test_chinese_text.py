"""Integration: Chinese text on any machine — web charts as SVG drawn by the browser, cached per published version;
card sheets refused (office page 409, CLI exit 2) when no CJK font can be embedded, before any card is minted
(SPEC §6, §8)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from pingyi.accounts import service as accounts
from pingyi.evaluation import cardjobs
from pingyi.evaluation.tables import Card
from pingyi.publication import chartcache
from pingyi.publication import service as publication

from .helpers import full_section, open_campaign, run
from .webclient import client_for, login, post_form


def _published(s, year: int = 2026) -> None:
    async def work():
        from pingyi.evaluation import service as evaluation

        tokens = await open_campaign(s, year=year, cards=2)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s, "unsatisfied")}, {})
        await evaluation.change_state(year, "close", actor="test")
        await publication.publish(year, (await publication.compute_snapshot(year, actor="test"))["version"],
                                  actor="test")
        await accounts.create_user("boss", "password-12", "admin", actor="test")

    run(s, work)


def test_ranking_chart_is_svg_with_text_and_drawn_once_per_version(any_settings, tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    s = dataclasses.replace(any_settings, fonts=(str(empty),))  # no CJK font on this "server"
    _published(s)
    with client_for(s) as client:
        page = client.get("/results/2026")
        assert page.status_code == 200 and 'src="/results/2026/ranking.svg"' in page.text
        chart = client.get("/results/2026/ranking.svg")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        assert ">县招商局</text>" in chart.text and ">公布得分（分）</text>" in chart.text
        assert client.get("/results/2026/ranking.png").status_code == 404

        cache = chartcache.for_app(client.app.state)
        assert cache.renders == 1
        cache._svgs.clear()
        with ThreadPoolExecutor(10) as pool:  # each request runs as a task on the app's one event loop
            responses = list(pool.map(lambda _: client.get("/results/2026/ranking.svg"), range(10)))
        assert {r.status_code for r in responses} == {200} and len({r.content for r in responses}) == 1
        assert cache.renders == 2  # ten concurrent requests on a cold cache: one drawing
        assert client.get("/results/2026/ranking.svg").content == chart.content and cache.renders == 2

        login(client, "boss", "password-12")
        post_form(client, "/office/results/2026", "/office/results/2026/compute", {"reason": "更正"})
        post_form(client, "/office/results/2026", "/office/results/2026/publish/2", {"reason": "更正"})
        client.get("/results/2026/ranking.svg")
        assert cache.renders == 3  # a new published version is drawn anew


def test_office_card_sheet_refused_without_cjk_font_and_no_card_minted(sqlite_settings, tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    s = dataclasses.replace(sqlite_settings, fonts=(str(empty),))

    async def setup():
        await open_campaign(s, year=2027, cards=1)
        await accounts.create_user("boss", "password-12", "admin", actor="test")

    run(s, setup)
    with client_for(s) as client:
        login(client, "boss", "password-12")
        r = post_form(client, "/office/campaigns", "/office/campaigns/2027/cards", {"count": "3"})
        assert r.status_code == 409 and "没有可用的中文字体" in r.text and "fonts-wqy-microhei" in r.text
    assert run(s, lambda: Card.count()) == 1


def test_cli_card_sheet_refused_without_cjk_font(tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    data = tmp_path / "data"
    env = {**os.environ, "PINGYI_DATA_DIR": str(data), "PINGYI_SECRET_KEY": "0" * 64}

    def pingyi(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pingyi", *args], env={**env, **extra}, capture_output=True,
                              text=True, timeout=300)

    assert pingyi("migrate").returncode == 0
    assert pingyi("demo").returncode == 0  # has an open campaign for this year
    year = str(date.today().year)
    out = tmp_path / "cards"
    refused = pingyi("cards", "generate", "--campaign", year, "--count", "2", "--out", str(out),
                     PINGYI_FONT_PATH=str(empty))
    assert refused.returncode == 2 and "没有可用的中文字体" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not out.exists()
    made = pingyi("cards", "generate", "--campaign", year, "--count", "2", "--out", str(out))
    assert made.returncode == 0, made.stderr
    issued = int(pingyi("results", "--campaign", year).stdout.rsplit("发卡 ", 1)[1].split(" ")[0])
    refused_again = pingyi("cards", "generate", "--campaign", year, "--count", "5", "--out", str(out),
                           PINGYI_FONT_PATH=str(empty))
    assert refused_again.returncode == 2
    assert int(pingyi("results", "--campaign", year).stdout.rsplit("发卡 ", 1)[1].split(" ")[0]) == issued
    assert oct(out.stat().st_mode & 0o777) == "0o700"  # created by the successful run, private


def _on_event_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_chart_and_card_sheet_are_drawn_off_the_event_loop(sqlite_settings, monkeypatch):
    s = sqlite_settings
    _published(s, 2025)
    run(s, lambda: open_campaign(s, year=2027, cards=1))
    from pingyi.evaluation import cardsheet
    from pingyi.publication import charts

    seen: dict[str, bool] = {}
    real_chart, real_pdf = charts.ranking_bars, cardsheet.render_card_sheet

    def chart(*args, **kwargs):
        seen["chart"] = _on_event_loop()
        return real_chart(*args, **kwargs)

    def pdf(*args, **kwargs):
        seen["pdf"] = _on_event_loop()
        return real_pdf(*args, **kwargs)

    monkeypatch.setattr(chartcache, "ranking_bars", chart)
    monkeypatch.setattr(cardsheet, "render_card_sheet", pdf)
    with client_for(s) as client:
        assert client.get("/results/2025/ranking.svg").status_code == 200
        login(client, "boss", "password-12")
        r = post_form(client, "/office/campaigns", "/office/campaigns/2027/cards", {"count": "2"})
        assert r.status_code == 303
        job = r.headers["location"].rsplit("/", 1)[1]
        cardjobs.wait(job, 60)
        assert client.get(f"{r.headers['location']}/cards.pdf").content.startswith(b"%PDF")
    assert seen == {"chart": False, "pdf": False}
