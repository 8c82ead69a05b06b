"""Interface layer: `pingyi rectification sync|list` and `pingyi followup figures` (SPEC §2, §4; issue 10)."""

from __future__ import annotations

from typing import Any

from pingyi.cli import cli_actor, run_db
from pingyi.core import assessment as month_rules
from pingyi.core import followup as rules
from pingyi.core.errors import InvalidInput
from pingyi.settings import Settings

from . import repository, service


def register(sub: Any) -> None:
    r = sub.add_parser("rectification", help="整改任务").add_subparsers(dest="rectification_command", required=True)
    s = r.add_parser("sync", help="为已公布的年度“不满意”和月度较差窗口单位补建整改任务（幂等，不会重复）")
    s.set_defaults(handler=_sync)
    ls = r.add_parser("list", help="列出整改任务（部门、来源、期限、状态、是否超期）")
    ls.set_defaults(handler=_list)
    f = sub.add_parser("followup", help="差评答复").add_subparsers(dest="followup_command", required=True)
    fig = f.add_parser("figures", help="各部门某月差评的答复、按时答复、采纳情况")
    fig.add_argument("--month", required=True, help="YYYY-MM")
    fig.set_defaults(handler=_figures)


def _sync(args: Any, settings: Settings) -> int:
    policy = service.policy_for(settings)
    created = run_db(settings, lambda: service.sync(policy, actor=cli_actor()))
    for key in created:
        print(f"已下达整改任务：{key}")
    print(f"新建 {len(created)} 项整改任务。")
    return 0


def _list(args: Any, settings: Settings) -> int:
    async def work() -> list[str]:
        from pingyi import clock

        today = clock.today()
        lines = []
        for t in await repository.tasks():
            overdue = "超期" if rules.task_overdue(t.state, t.deadline, today) else ""
            lines.append(f"{t.id}\t{t.department_code}\t{rules.SOURCE_LABELS.get(t.source, t.source)}\t{t.period}\t"
                         f"{t.deadline}\t{rules.TASK_STATE_LABELS[t.state]}\t{overdue}")
        return lines

    for line in run_db(settings, work):
        print(line)
    return 0


def _figures(args: Any, settings: Settings) -> int:
    try:
        month_rules.month_first_days(args.month)
    except (ValueError, InvalidInput):
        raise InvalidInput(f"月份 {args.month!r} 格式应为 YYYY-MM。") from None
    policy = service.policy_for(settings)
    rows = run_db(settings, lambda: service.figures([args.month], policy))
    print("部门\t差评\t已答复\t按时答复\t已采纳\t超期未答复")
    for f in rows:
        print(f"{f.department_code}\t{f.bad}\t{f.answered}\t{f.on_time}\t{f.accepted}\t{f.overdue}")
    return 0
