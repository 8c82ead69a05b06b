"""Operations: the demo county — 21 departments, staff accounts, a published campaign whose ballots went through
the real submission path, substantiated complaints, and an open campaign with fresh cards. Idempotent."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

from pingyi.accounts import service as accounts
from pingyi.accounts.tables import OfficeUser
from pingyi.catalog import load_catalog
from pingyi.complaints import service as complaints
from pingyi.core import cardcodes
from pingyi.core.survey import Department, Questionnaire
from pingyi.evaluation import service as evaluation
from pingyi.evaluation.tables import Campaign
from pingyi.publication import service as publication
from pingyi.settings import Settings
from pingyi.windows.tables import Department as DepartmentRow

DEMO_PASSWORD = "pingyi-demo"
DEMO_USERS = (("admin", "admin", None, "纠风办管理员"), ("investigator", "investigator", None, "调查员小李"),
              ("inspector", "inspector", None, "督查员小王"), ("liaison-d05", "liaison", "D05", "建设局联络员"))


async def sync_departments(departments: tuple[Department, ...]) -> int:
    """Insert departments missing from the database (existing ones are left as the office edited them)."""
    added = 0
    for position, dept in enumerate(departments):
        if not await DepartmentRow.exists().where(DepartmentRow.code == dept.code):
            await DepartmentRow(code=dept.code, name=dept.name, sort_order=(position + 1) * 10).save()
            added += 1
    return added


def _demo_ballot(rng: random.Random, q: Questionnaire, departments: list[Department], bias: dict[str, float]):
    """One plausible ballot: the enterprise dealt with 2–8 departments and rates each fully."""
    chosen = rng.sample(departments, rng.randint(2, min(8, len(departments))))
    answers, opinions = {}, {}
    keys = [a.key for a in q.answers]  # best first
    for dept in chosen:
        good = bias.get(dept.code, 0.8)
        answers[dept.code] = {item: (keys[0] if rng.random() < good else keys[1] if rng.random() < 0.75 else keys[2])
                              for item in q.item_ids}
        if rng.random() < 0.15:
            opinions[dept.code] = rng.choice(["希望进一步压缩审批时限。", "窗口人员态度很好，点赞。",
                                              "材料清单能否一次性告知完整？", "建议增加网上办理事项。"])
    return answers, opinions


async def _run_campaign(year: int, q: Questionnaire, departments: list[Department], ballots: int,
                        rng: random.Random) -> list[str]:
    await evaluation.create_campaign(year, f"{year}年度外来投资企业民主评议", q, [d.code for d in departments],
                                     cards_from=date(year, 12, 1), symposium_on=date(year, 12, 15),
                                     actor="demo")
    await evaluation.change_state(year, "open", actor="demo")
    minted = await evaluation.mint_cards(year, ballots + 20, actor="demo")
    bias = {d.code: 0.85 for d in departments}
    bias.update({"D07": 0.45, "D11": 0.6, "D03": 0.97, "D16": 0.55})
    for token in minted.tokens[:ballots]:
        answers, opinions = _demo_ballot(rng, q, departments, bias)
        await evaluation.submit_ballot(token, answers, opinions)
    return minted.tokens[ballots:]


async def load_demo(settings: Settings) -> list[str]:
    catalog = load_catalog(settings.surveys_dir)
    lines = []
    added = await sync_departments(catalog.departments)
    lines.append(f"部门：{len(catalog.departments)} 个（新增 {added} 个）")
    for username, role, dept, name in DEMO_USERS:
        if not await OfficeUser.exists().where(OfficeUser.username == username):
            await accounts.create_user(username, DEMO_PASSWORD, role, department_code=dept, display_name=name,
                                       actor="demo")
    departments = list(catalog.departments)
    this_year = date.today().year
    last_year = this_year - 1
    rng = random.Random(20251215)
    if not await Campaign.exists().where(Campaign.year == last_year):
        await _run_campaign(last_year, catalog.questionnaire, departments, 60, rng)
        for code, summary in (("D07", "窗口工作人员推诿，多次往返未办结。"), ("D07", "办事时态度恶劣。"),
                              ("D16", "报装用电超期未办理。")):
            tracking = await complaints.file_complaint(code, summary, channel="phone", contact="138****0000",
                                                       received_on=date(last_year, 6, 3), actor="investigator")
            await complaints.act(tracking, "investigate", actor="investigator", decided_on=date(last_year, 6, 4))
            await complaints.act(tracking, "substantiate", actor="investigator", reason="经调取录像核实。",
                                 severity="general", decided_on=date(last_year, 6, 20))
        await evaluation.change_state(last_year, "close", actor="demo")
        snap = await publication.compute_snapshot(last_year, actor="demo")
        await publication.publish(last_year, snap["version"], actor="demo")
        lines.append(f"{last_year} 年度评议：60 份评议已提交、3 件属实投诉、结果已公布")
    cards_file = settings.data_dir / f"demo-cards-{this_year}.csv"
    if not await Campaign.exists().where(Campaign.year == this_year):
        tokens = await _run_campaign(this_year, catalog.questionnaire, departments, 12, rng)
        _write_demo_cards(cards_file, settings.http.public_base_url, tokens)
        lines.append(f"{this_year} 年度评议：评议中，已提交 12 份；未用评议卡 {len(tokens)} 张写入 {cards_file}")
    if cards_file.exists():
        with cards_file.open(encoding="utf-8") as fh:
            first = next(csv.DictReader(fh), None)
        if first:
            lines.append(f"试填一张评议卡：{first['ballot_url']}")
    return lines


def _write_demo_cards(path: Path, base_url: str, tokens: list[str]) -> None:
    from pingyi.datafiles import private_file

    private_file(path)  # 0600 before a token is written into it
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ballot_url", "code"])
        for t in tokens:
            writer.writerow([f"{base_url}/b/{t}", cardcodes.format_code(t)])
