"""Integration: 差评 answered by departments and rectification tasks (SPEC §2, §4; issue 10), SQLite and PostgreSQL.

Tried as the users would: a liaison answers its department's 差评 through the pages, the inspector returns and
accepts, the call-back is recorded where the citizen left a phone number; a liaison of another department walks
the URLs with foreign ids; tasks come from a published annual 不满意 grade and a published monthly last place,
twice without duplicates; the public tracker shows the accepted summary and nothing internal.
"""

from __future__ import annotations

from datetime import date

import pytest

from pingyi.accounts import service as accounts
from pingyi.assessment import monthclose
from pingyi.assessment import service as assessment
from pingyi.audit.tables import AuditEntry
from pingyi.evaluation import service as evaluation
from pingyi.followup import service
from pingyi.followup.schemas import Outcome
from pingyi.followup.tables import BadRatingAnswer, RectificationTask
from pingyi.publication import service as publication
from pingyi.ratings.tables import WebRating
from pingyi.wiring import annual_outcomes, bind

from .helpers import full_section, open_campaign
from .monthly_support import clock_at, local, rate, run_at, seed
from .webclient import client_for, csrf_from, login

PHONE = "13800138000"
NOW = (2026, 11, 20, 10, 0)  # Friday


def _post(client, page: str, action: str, data: dict):
    token = csrf_from(client.get(page).text)
    return client.post(action, data={**data, "_csrf_token": token}, follow_redirects=False)


@pytest.fixture
def loop(any_settings):
    """D01 and D02 each with a window and terminal; D01 has a terminal 差评 on 2026-11-10 (due 11-17: overdue on
    11-20), a web 差评 on 11-18 with tags, text and a phone number (due 11-25), and a counted 满意 (no item);
    D02 has one 差评. Users: admin boss, inspector insp, investigator inv, liaisons li1 (D01) and li2 (D02)."""
    s = any_settings
    clock = clock_at(*NOW)

    async def work():
        terminals = await seed(s, windows=2)
        await accounts.create_user("li1", "password-1", "liaison", department_code="D01", actor="test")
        await accounts.create_user("li2", "password-1", "liaison", department_code="D02", actor="test")
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        d01, d02 = terminals["D01"], terminals["D02"]
        await rate(d01, local(2026, 11, 10, 14, 0), level=2)
        web_key = await rate(d01, local(2026, 11, 18, 9, 30), level=1, channel="web")
        await rate(d01, local(2026, 11, 18, 9, 40), level=5)
        await rate(d02, local(2026, 11, 12, 11, 0), level=1)
        from pingyi.ratings.tables import Rating

        ids = {r["event_key"]: r["id"] for r in await Rating.select(Rating.id, Rating.event_key)}
        await WebRating.insert(WebRating(rating=ids[web_key], window=d01[1], tags="attitude,efficiency",
                                         text="窗口人员玩手机，排队四十分钟", contact=PHONE, device="d" * 64,
                                         address="a" * 64))
        items = await service.queue({"role": "admin", "username": "boss"}, service.policy_for(s), month="2026-11")
        return {q.item.department_code + ("-web" if q.item.channel == "web" else ""): q.item.rating_id
                for q in items["items"]}

    ids = run_at(s, clock, work)
    return s, clock, ids


class _Clients:
    """One app and test client per test (two live apps would rebind the one engine under each other), used as
    several people in turn: each request first makes sure the right user is logged in (or nobody)."""

    def __init__(self, s, clock):
        self.client = client_for(s, clock=clock)
        self.client.__enter__()
        self.current: str | None = None

    def close(self) -> None:
        self.client.__exit__(None, None, None)


class _As:
    def __init__(self, clients: _Clients, user: str | None):
        self.clients, self.user = clients, user

    def _become(self) -> None:
        c = self.clients
        if c.current != self.user:
            c.client.cookies.clear()
            if self.user:
                login(c.client, self.user, "password-1")
            c.current = self.user

    def get(self, path: str):
        self._become()
        return self.clients.client.get(path)

    def post(self, path: str, **kwargs):
        self._become()
        return self.clients.client.post(path, **kwargs)


_OPEN: list[_Clients] = []


def _client(s, clock, user: str | None = None) -> _As:
    """The test's client acting as `user` (None: the public); re-login after the clock moved past the idle time."""
    if not _OPEN or _OPEN[-1].client.app.state.clock is not clock:
        _OPEN.append(_Clients(s, clock))
    return _As(_OPEN[-1], user)


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _OPEN:
        _OPEN.pop().close()


ANSWER = {"finding": "经调取录像，窗口人员当班离岗十分钟。", "cause": "午间排班不足。", "outcome": "fixed",
          "measure": "已调整午间排班，增设一名值班人员。", "fix_due": ""}


def test_liaison_answers_and_the_office_returns_then_accepts(loop):
    s, clock, ids = loop
    li1 = _client(s, clock, "li1")
    page = li1.get("/office/followup?month=2026-11")
    assert page.status_code == 200
    assert "县招商局" in page.text and "县发改委" not in page.text  # only its own department
    assert "已超期" in page.text  # the 11-10 差评 was due 11-17
    r = ids["D01"]
    item = li1.get(f"/office/followup/{r}")
    assert "2026-11-17" in item.text and "提交答复" in item.text

    done = _post(li1, f"/office/followup/{r}", f"/office/followup/{r}/answer", ANSWER)
    assert done.status_code == 303 and done.headers["location"] == f"/office/followup/{r}"
    again = _post(li1, f"/office/followup/{r}", f"/office/followup/{r}/answer", ANSWER)
    assert again.status_code == 409 and "不能答复" in again.text  # submitted: the office's turn

    insp = _client(s, clock, "insp")
    empty = _post(insp, f"/office/followup/{r}", f"/office/followup/{r}/review", {"action": "return", "reason": ""})
    assert empty.status_code == 400 and "理由" in empty.text
    back = _post(insp, f"/office/followup/{r}", f"/office/followup/{r}/review",
                 {"action": "return", "reason": "措施未说明落实时间。"})
    assert back.status_code == 303
    clock.advance(days=3)  # Monday 11-23: the return gave 5 new working days → 11-27
    _OPEN[-1].current = None  # the idle sessions ended meanwhile: log in again
    item = li1.get(f"/office/followup/{r}").text
    assert "措施未说明落实时间" in item and "2026-11-27" in item and "重新答复" in item
    assert _post(li1, f"/office/followup/{r}", f"/office/followup/{r}/answer", ANSWER).status_code == 303
    assert _post(insp, f"/office/followup/{r}", f"/office/followup/{r}/review",
                 {"action": "accept", "reason": ""}).status_code == 303

    async def check():
        row = await BadRatingAnswer.select().where(BadRatingAnswer.rating == r).first()
        actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action).where(
            AuditEntry.subject == f"rating:{r}").order_by(AuditEntry.seq)]
        figures = await service.figures(["2026-11"], service.policy_for(s))
        return row, actions, figures

    row, actions, figures = run_at(s, clock, check)
    assert row["state"] == "accepted" and row["first_answered_on"] == date(2026, 11, 20)
    assert row["first_due_on"] == date(2026, 11, 17) and row["answered_by"] == "li1"
    assert actions == ["badrating.answer", "badrating.return", "badrating.answer", "badrating.accept"]
    d01 = next(f for f in figures if f.department_code == "D01")
    # 2 差评: one answered late (11-20 > 11-17) and accepted; the web one not answered yet, due 11-25
    assert (d01.bad, d01.answered, d01.on_time, d01.accepted, d01.overdue) == (2, 1, 0, 1, 0)
    assert d01.answered_share == "50.0" and d01.on_time_share == "0.0"
    d02 = next(f for f in figures if f.department_code == "D02")
    assert (d02.bad, d02.answered, d02.overdue) == (1, 0, 1)


def test_a_bad_answer_comes_back_with_the_form_and_stores_nothing(loop):
    s, clock, ids = loop
    li1 = _client(s, clock, "li1")
    r = ids["D01"]
    for data, message in [({**ANSWER, "finding": "  "}, "请填写核实情况"),
                          ({**ANSWER, "outcome": "scheduled"}, "须填写整改期限"),
                          ({**ANSWER, "outcome": "scheduled", "fix_due": "2026-11-01"}, "不能早于今天"),
                          ({**ANSWER, "outcome": "later"}, "请选择处理方式")]:
        got = _post(li1, f"/office/followup/{r}", f"/office/followup/{r}/answer", data)
        assert got.status_code == 400 and message in got.text, got.text
        assert "午间排班不足" in got.text  # what was typed is kept
    assert run_at(s, clock, lambda: BadRatingAnswer.count()) == 0


def test_a_liaison_never_reaches_another_department(loop):
    """li2 (D02) walks D01's item URLs: 404 on every page and action, nothing stored; the department filter of
    the office list is ignored for a liaison; an investigator is not part of the loop."""
    s, clock, ids = loop
    task_id = run_at(s, clock, lambda: service.create_task({"role": "inspector", "username": "insp"},
                                                           service.policy_for(s), department_code="D01",
                                                           reason="多条差评反映窗口人员离岗。"))
    li2 = _client(s, clock, "li2")
    own = ids["D02"]
    for foreign in (ids["D01"], ids["D01-web"]):
        assert li2.get(f"/office/followup/{foreign}").status_code == 404
        got = _post(li2, f"/office/followup/{own}", f"/office/followup/{foreign}/answer", ANSWER)
        assert got.status_code == 404
        for path in ("review", "callback"):
            got = _post(li2, f"/office/followup/{own}", f"/office/followup/{foreign}/{path}", {"action": "accept"})
            assert got.status_code == 403  # office actions: the guard refuses the role first
    assert li2.get("/office/followup/999999").status_code == 404
    assert li2.get(f"/office/rectification/{task_id}").status_code == 404
    got = _post(li2, "/office/rectification", f"/office/rectification/{task_id}/measures",
                {"summary": "已整改", "evidence": "文件"})
    assert got.status_code == 404
    listing = li2.get("/office/followup?month=2026-11&department=D01").text
    assert "县招商局" not in listing and "县发改委" in listing
    assert "窗口人员离岗" not in li2.get("/office/rectification").text
    assert run_at(s, clock, lambda: BadRatingAnswer.count()) == 0

    inv = _client(s, clock, "inv")
    assert inv.get("/office/followup").status_code == 403
    assert inv.get("/office/rectification").status_code == 403


def test_only_the_office_sees_the_contact_and_records_the_call_back(loop):
    s, clock, ids = loop
    r = ids["D01-web"]
    li1 = _client(s, clock, "li1")
    page = li1.get(f"/office/followup/{r}").text
    assert "窗口人员玩手机" in page and "态度" in page  # text and tags reach the department
    assert PHONE not in page and "由办公室回访" in page
    assert PHONE not in li1.get("/office/followup?month=2026-11").text
    assert _post(li1, f"/office/followup/{r}", f"/office/followup/{r}/callback",
                 {"callback": "reached_satisfied"}).status_code == 403

    insp = _client(s, clock, "insp")
    assert PHONE in insp.get(f"/office/followup/{r}").text
    early = _post(insp, f"/office/followup/{r}", f"/office/followup/{r}/callback", {"callback": "reached_satisfied"})
    assert early.status_code == 400 and "答复后" in early.text
    no_phone = _post(insp, f"/office/followup/{ids['D01']}", f"/office/followup/{ids['D01']}/callback",
                     {"callback": "reached_satisfied"})
    assert no_phone.status_code == 400 and "没有留下联系方式" in no_phone.text

    assert _post(li1, f"/office/followup/{r}", f"/office/followup/{r}/answer", ANSWER).status_code == 303
    done = _post(insp, f"/office/followup/{r}", f"/office/followup/{r}/callback",
                 {"callback": "reached_unsatisfied", "note": "群众认为等候时间仍较长。"})
    assert done.status_code == 303
    page = li1.get(f"/office/followup/{r}").text
    assert "群众仍不满意" in page and "等候时间仍较长" in page and PHONE not in page
    entries = run_at(s, clock, lambda: AuditEntry.select(AuditEntry.detail))
    assert all(PHONE not in str(e["detail"]) for e in entries)
    for public in ("/rectification", "/api/v1/rectification"):
        assert PHONE not in _client(s, clock).get(public).text


def test_rectification_task_by_hand_measures_returned_and_accepted(loop):
    s, clock, _ = loop
    insp = _client(s, clock, "insp")
    bad = _post(insp, "/office/rectification", "/office/rectification", {"department": "D01", "reason": ""})
    assert bad.status_code == 400 and "请填写整改事由" in bad.text
    made = _post(insp, "/office/rectification", "/office/rectification",
                 {"department": "D01", "reason": "本月多条差评反映窗口人员离岗（原因：态度）。",
                  "deadline": "2026-12-04"})
    assert made.status_code == 303
    task = made.headers["location"]
    li1 = _client(s, clock, "li1")
    assert "提交整改措施" in li1.get(task).text
    empty = _post(li1, task, f"{task}/measures", {"summary": "已整改", "evidence": ""})
    assert empty.status_code == 400 and "佐证材料说明" in empty.text and "已整改" in empty.text
    first = {"summary": "建立离岗登记制度。", "evidence": "《窗口离岗登记制度》文号 2026-18，存办公室档案盒 3。"}
    assert _post(li1, task, f"{task}/measures", first).status_code == 303
    assert _post(insp, task, f"{task}/review", {"action": "return", "reason": "未说明监督方式。"}).status_code == 303
    clock.advance(days=15)  # 12-05: past the deadline while the measures are owed again
    _OPEN[-1].current = None  # the idle sessions ended meanwhile: log in again
    assert "已超期" in li1.get("/office/rectification").text
    second = {"summary": "建立离岗登记制度，督查人员每周抽查录像。", "evidence": "抽查记录表第 1–4 周。"}
    assert _post(li1, task, f"{task}/measures", second).status_code == 303
    assert _post(insp, task, f"{task}/review", {"action": "accept"}).status_code == 303

    public = _client(s, clock).get("/api/v1/rectification").json()["tasks"]
    assert public == [{"department": "县招商局", "source_label": "集中反映的问题",
                       "reason": "本月多条差评反映窗口人员离岗（原因：态度）。", "deadline": "2026-12-04",
                       "state": "accepted", "state_label": "已验收", "overdue": False,
                       "accepted_summary": "建立离岗登记制度，督查人员每周抽查录像。"}]
    page = _client(s, clock).get("/rectification").text
    assert "督查人员每周抽查录像" in page and "抽查记录表" not in page and "未说明监督方式" not in page
    actions = run_at(s, clock, lambda: AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action.like("rectification.%")).order_by(AuditEntry.seq))
    assert [a["action"] for a in actions] == ["rectification.create", "rectification.submit",
                                              "rectification.return", "rectification.submit",
                                              "rectification.accept"]


def test_tasks_follow_published_results_once(any_settings):
    """A published 2025 campaign where D02 is 不满意 and a published 2026-11 month with its last place: the sync
    (office page load, CLI, demo) creates one task each with its deadline from the publication date; running it
    again — and a second time concurrently — creates nothing more."""
    s = any_settings
    clock = clock_at(2026, 12, 3, 9, 0)
    policy = service.policy_for(s)

    async def publish_all():
        terminals = await seed(s, windows=2)
        tokens = await open_campaign(s, 2025, cards=2)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s, "unsatisfied")},
                                       {})
        await evaluation.change_state(2025, "close", actor="test")
        snap = await publication.compute_snapshot(2025, actor="test")
        await publication.publish(2025, snap["version"], actor="test")
        await rate(terminals["D01"], local(2026, 11, 10, 10, 0), level=5)
        await rate(terminals["D02"], local(2026, 11, 10, 10, 0), level=1)
        await monthclose.close_month("2026-11", "boss", rubric=assessment.rubric_from(s.surveys_dir))
        await monthclose.publish_month("2026-11", "boss")
        return await annual_outcomes()

    bind()  # what create_app() and the `pingyi` command do
    outcomes = run_at(s, clock, publish_all)
    assert [(o.source, o.period, o.department_code) for o in outcomes] == [("annual", "2025", "D02")]

    import asyncio

    async def sync_three_times():
        together = await asyncio.gather(service.sync(policy), service.sync(policy))  # two office pages at once
        return together, await service.sync(policy)

    together, again = run_at(s, clock, sync_three_times)
    first = together[0] + together[1]
    assert len(first) == len(set(first)) and again == []
    assert "annual:2025:D02" in first and any(k.startswith("monthly:2026-11:") for k in first)
    rows = run_at(s, clock, lambda: RectificationTask.select().order_by(RectificationTask.source_key))
    assert len(rows) == len(first) == len({r["source_key"] for r in rows})
    annual = next(r for r in rows if r["source"] == "annual")
    assert annual["deadline"] == policy.due(date(2026, 12, 3), 30) and "不满意" in annual["reason"]

    insp = _client(s, clock, "insp")
    page = insp.get("/office/rectification").text
    assert "年度评议“不满意”" in page and "月度考核较差窗口单位" in page
    assert run_at(s, clock, lambda: RectificationTask.count()) == len(first)
    monthly = _client(s, clock).get("/monthly/2026-11").text
    assert "差评答复情况" in monthly


def test_sync_of_outcomes_is_idempotent_and_skips_unknown_departments(any_settings):
    s = any_settings
    clock = clock_at(2026, 12, 3, 9, 0)
    policy = service.policy_for(s)
    outcomes = [Outcome(source="monthly", period="2026-10", department_code="D03", published_on=date(2026, 11, 2),
                        detail="总分 88.50"),
                Outcome(source="monthly", period="2026-10", department_code="NOPE", published_on=date(2026, 11, 2),
                        detail="")]

    async def work():
        await seed(s, windows=1)
        return await service.sync_tasks(outcomes, policy), await service.sync_tasks(outcomes, policy)

    assert run_at(s, clock, work) == (["monthly:2026-10:D03"], [])


def test_the_office_is_shown_concentrated_reason_tags(loop):
    """Three counted web 差评 of D01 tagged 效率 in the month (the fixture's one and two more): the office's task
    page names the department and the tag; a liaison's page shows no hints."""
    s, clock, _ = loop

    async def more():
        from pingyi.ratings.tables import Rating, Terminal

        t = await Terminal.select(Terminal.id, Terminal.window, Terminal.window.department).where(
            Terminal.window.department.code == "D01").first()
        terminal = (t["id"], t["window"], t["window.department"])
        for n in range(2):
            key = await rate(terminal, local(2026, 11, 19, 9, n), level=2, channel="web")
            rid = (await Rating.select(Rating.id).where(Rating.event_key == key).first())["id"]
            await WebRating.insert(WebRating(rating=rid, window=terminal[1], tags="efficiency", text="", contact="",
                                             device=f"{n}" * 64, address="b" * 64))

    run_at(s, clock, more)
    assert "“效率” 3 条" in _client(s, clock, "insp").get("/office/rectification").text
    assert "“效率”" not in _client(s, clock, "li1").get("/office/rectification").text


def test_a_department_summary_counts_what_it_owes(loop):
    """For the department's portal: D01 owes two answers on 11-20 (the 11-10 one overdue), and after a task by
    hand one set of measures, not yet overdue; D02 owes one overdue answer and no task."""
    s, clock, _ = loop
    policy = service.policy_for(s)

    async def work():
        from pingyi.hall import repository as hall

        d01, d02 = await hall.department_by_code("D01"), await hall.department_by_code("D02")
        await service.create_task({"role": "admin", "username": "boss"}, policy, department_code="D01",
                                  reason="集中问题。")
        return await service.department_summary(d01.id, policy), await service.department_summary(d02.id, policy)

    d01, d02 = run_at(s, clock, work)
    assert d01 == {"answers_owed": 2, "answers_overdue": 1, "tasks_owed": 1, "tasks_overdue": 0}
    assert d02 == {"answers_owed": 1, "answers_overdue": 1, "tasks_owed": 0, "tasks_overdue": 0}
