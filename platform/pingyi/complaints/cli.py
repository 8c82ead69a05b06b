"""Interface layer: `pingyi complaints list` — the office's complaint list on the command line (SPEC §5)."""

from __future__ import annotations

from typing import Any

from pingyi import clock, workcalendar
from pingyi.cli import run_db
from pingyi.core import complaints as rules
from pingyi.settings import Settings

from . import service


def register(sub: Any) -> None:
    c = sub.add_parser("complaints", help="投诉").add_subparsers(dest="complaints_command", required=True)
    ls = c.add_parser("list", help="列出投诉（编号、部门、状态、受理日期、是否超期），不含联系方式")
    ls.add_argument("--state", choices=sorted(rules.STATE_LABELS), default=None)
    ls.add_argument("--department", default=None, help="部门编号，如 D07")
    ls.add_argument("--overdue", action="store_true", help="只列出已超期（未办结且超过办理时限）的投诉")
    ls.set_defaults(handler=_list)


def _list(args: Any, settings: Settings) -> int:
    calendar = workcalendar.for_surveys(settings.surveys_dir)
    rows = run_db(settings, lambda: service.office_list(include_contact=False, today=clock.today(), calendar=calendar,
                                                        working_days=settings.complaints.working_days))
    for r in rows:
        if (args.state and r.state != args.state) or (args.department and r.department_code != args.department):
            continue
        if args.overdue and not r.overdue:
            continue
        overdue = "超期" if r.overdue else ""
        print(f"{r.tracking_code}\t{r.department_code}\t{rules.STATE_LABELS[r.state]}\t{r.received_on}\t{overdue}")
    return 0
