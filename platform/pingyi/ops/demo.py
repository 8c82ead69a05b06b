"""Operations: the demo county — 21 departments, staff accounts, a published campaign whose ballots went through
the real submission path, substantiated complaints, and an open campaign with fresh cards. Idempotent."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

from pingyi import clock
from pingyi.accounts import repository as accounts_repository
from pingyi.accounts import service as accounts
from pingyi.audit import service as audit
from pingyi.catalog import load_catalog
from pingyi.complaints import service as complaints
from pingyi.core import cardcodes
from pingyi.core.errors import DomainError
from pingyi.core.survey import Department, Questionnaire
from pingyi.evaluation import service as evaluation
from pingyi.evaluation.tables import Campaign
from pingyi.hall import service as hall
from pingyi.publication import bulletin as publication_bulletin
from pingyi.publication import service as publication
from pingyi.settings import Settings

from .demo_complaints import load_complaints, on_day
from .demo_symposium import load_liaison_complaints, load_symposium

DEMO_PASSWORD = "pingyi-demo"
STAFF = (("admin", "admin", "纠风办管理员"), ("investigator", "investigator", "调查员小李"),
         ("inspector", "inspector", "督查员小王"))
DEMO_MARK = "demo.load"  # the audit action the demo writes: a database without it is not the demo's


class NotADemoDatabase(DomainError):
    """`pingyi demo` refuses a database that holds data it did not make (a production install)."""


def demo_users(departments: list[Department]) -> list[tuple[str, str, str | None, str]]:
    """The demo's staff, and one liaison for the first department of whatever list is loaded."""
    users = [(u, role, None, name) for u, role, name in STAFF]
    if departments:
        first = departments[0]
        users.append((f"liaison-{first.code.lower()}", "liaison", first.code, f"{first.name}联络员"))
    return users


def _biases(departments: list[Department]) -> dict[str, float]:
    """How well each department fares in the demo: mostly good, one weak, two middling, one excellent — by
    position in the list, so any department list gives a result with all three grades where it can."""
    bias = {d.code: 0.85 for d in departments}
    n = len(departments)
    for position, value in ((n // 3, 0.45), (n // 2, 0.6), (0, 0.97), ((2 * n) // 3, 0.55)):
        if n > 3:
            bias[departments[position].code] = value
    return bias


def weakest(departments: list[Department], count: int) -> list[Department]:
    bias = _biases(departments)
    return sorted(departments, key=lambda d: (bias[d.code], d.code))[:count]


def _demo_ballot(rng: random.Random, q: Questionnaire, departments: list[Department], bias: dict[str, float]):
    """One plausible ballot: the enterprise dealt with 2–8 departments and rates each fully."""
    chosen = rng.sample(departments, rng.randint(min(2, len(departments)), min(8, len(departments))))
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
    bias = _biases(departments)
    for token in minted.tokens[:ballots]:
        answers, opinions = _demo_ballot(rng, q, departments, bias)
        await evaluation.submit_ballot(token, answers, opinions)
    return minted.tokens[ballots:]


async def _refuse_production(settings: Settings) -> None:
    """The demo creates users with a published password and made-up campaigns: never on a real install. A
    database counts as the demo's when it is empty or the demo marked it; anything else is refused."""
    if await audit.has_action(DEMO_MARK):
        return
    if await accounts_repository.users() or await Campaign.exists():
        raise NotADemoDatabase(
            "该数据库已有正式数据（工作人员账号或评议活动），演示数据不会写入：请为演示另设 PINGYI_DATA_DIR 或 "
            "PINGYI_DATABASE_URL。")


async def load_demo(settings: Settings) -> list[str]:
    catalog = load_catalog(settings.surveys_dir)
    if not catalog.departments:
        raise NotADemoDatabase("部门名单为空：演示数据至少需要一个部门（surveys/departments.csv）。")
    await _refuse_production(settings)
    lines = []
    added = await hall.add_missing_departments(catalog.departments)
    lines.append(f"部门：{len(catalog.departments)} 个（新增 {added} 个）")
    await audit.append("demo", DEMO_MARK, "demo", {"departments": len(catalog.departments)})
    for username, role, dept, name in demo_users(list(catalog.departments)):
        if not await accounts_repository.username_taken(username):
            await accounts.create_user(username, DEMO_PASSWORD, role, department_code=dept, display_name=name,
                                       actor="demo")
    departments = list(catalog.departments)
    this_year = clock.today().year
    last_year = this_year - 1
    rng = random.Random(20251215)
    if not await Campaign.exists().where(Campaign.year == last_year):
        await _run_campaign(last_year, catalog.questionnaire, departments, 60, rng)
        weak = weakest(departments, 2)
        for dept, summary in ((weak[0], "窗口工作人员推诿，多次往返未办结。"), (weak[0], "办事时态度恶劣。"),
                              (weak[-1], "超期未办理。")):
            with on_day(date(last_year, 6, 3)):
                tracking = await complaints.file_complaint(dept.code, summary, channel="phone",
                                                           contact="138****0000", actor="investigator")
            with on_day(date(last_year, 6, 4)):
                await complaints.act(tracking, "investigate", actor="investigator")
            with on_day(date(last_year, 6, 20)):
                await complaints.act(tracking, "substantiate", actor="investigator", reason="经调取录像核实。",
                                     severity="general",
                                     public_reply=f"经调取录像核实，您反映的问题属实，已责成{dept.name}整改。")
        lines.append(await load_symposium(last_year, departments))
        lines.append(await load_liaison_complaints(last_year, departments[0]))
        from .demo_year import load_year_months

        lines.extend(await load_year_months(settings, last_year))  # the report's monthly trends and hall maps
        await evaluation.change_state(last_year, "close", actor="demo")
        snap = await publication.compute_snapshot(last_year, actor="demo")
        await publication.publish(last_year, snap["version"], actor="demo")
        lines.append(f"{last_year} 年度评议：60 份评议已提交、3 件属实投诉、结果已公布")
    lines.extend(await load_complaints(departments, weakest(departments, 2)))
    if await publication.published_years():
        key = await publication_bulletin.signing_key(settings.data_dir, actor="demo")
        lines.append(f"{last_year} 年度评议公告已签名（办公室密钥 {key['key_id']}）：{settings.http.public_base_url}"
                     f"/bulletin/{last_year}；自己核验：pingyi bulletin export --out bulletin && "
                     "python3 platform/verify_bulletin.py bulletin/bulletin-*.json --key bulletin/office-key.pub")
        base = settings.http.public_base_url
        lines.append(f"{last_year} 年度综合评议报告：{base}/results/{last_year}/report（PDF：{base}/results/"
                     f"{last_year}/report.pdf；部门反馈 PDF：/office/feedback/{last_year}/<部门代码>/feedback.pdf）")
    from .demo_followup import load_followup_demo

    lines.extend(await load_followup_demo(settings))  # 差评 answered, some overdue; rectification of 不满意
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
    base = settings.http.public_base_url
    lines.append(f"导出 Excel：{base}/office/exports（如 {last_year} 年度结果、投诉、整改任务）；"
                 f"生成评议卡：{base}/office/campaigns（登录 admin / {DEMO_PASSWORD}）")
    return lines


def _write_demo_cards(path: Path, base_url: str, tokens: list[str]) -> None:
    from pingyi.datafiles import private_file

    private_file(path)  # 0600 before a token is written into it
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ballot_url", "code"])
        for t in tokens:
            writer.writerow([f"{base_url}/b/{t}", cardcodes.format_code(t)])
