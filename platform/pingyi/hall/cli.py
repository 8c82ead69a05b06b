"""Interface layer: `pingyi departments sync|list`, `pingyi halls add|list|threshold`,
`pingyi windows add|assign|list` (SPEC §4, §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pingyi.catalog import DEPARTMENTS_FILE, load_departments
from pingyi.cli import cli_actor, run_db
from pingyi.settings import Settings

from . import service


def register(sub: Any) -> None:
    register_departments(sub)
    w = sub.add_parser("windows", help="窗口管理").add_subparsers(dest="windows_command", required=True)
    a = w.add_parser("add", help="新增窗口")
    a.add_argument("--code", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--department", required=True, help="department code")
    a.add_argument("--hall", default=None, help="hall code (optional: without it the window is 未分配大厅)")
    a.set_defaults(handler=_windows_add)
    asg = w.add_parser("assign", help="将窗口分配到大厅（--none 取消分配）")
    asg.add_argument("--window", required=True, help="window code")
    target = asg.add_mutually_exclusive_group(required=True)
    target.add_argument("--hall", help="hall code")
    target.add_argument("--none", action="store_true", help="take the window out of its hall (未分配大厅)")
    asg.set_defaults(handler=_windows_assign)
    wl = w.add_parser("list", help="列出窗口及其大厅")
    wl.set_defaults(handler=_windows_list)
    register_halls(sub)


def _windows_add(args: Any, settings: Settings) -> int:
    run_db(settings, lambda: service.add_window(args.code, args.name, args.department, cli_actor(),
                                                hall_code=args.hall))
    print(f"窗口 {args.code} 已创建" + (f"，属于大厅 {args.hall}。" if args.hall else "（未分配大厅）。"))
    return 0


def _windows_assign(args: Any, settings: Settings) -> int:
    hall = None if args.none else args.hall
    run_db(settings, lambda: service.assign_window(args.window, hall, cli_actor()))
    print(f"窗口 {args.window} 已分配到大厅 {hall}。" if hall else f"窗口 {args.window} 已改为未分配大厅。")
    return 0


def _windows_list(args: Any, settings: Settings) -> int:
    for w in run_db(settings, service.window_places):
        state = "在用" if w.active else "已停用"
        print(f"{w.code}\t{w.name}\t{w.department_code}\t{w.hall_code or '未分配大厅'}\t{state}")
    return 0


def register_halls(sub: Any) -> None:
    h = sub.add_parser("halls", help="服务大厅（政务服务大厅、分中心）")
    h = h.add_subparsers(dest="halls_command", required=True)
    a = h.add_parser("add", help="新增大厅")
    a.add_argument("--code", required=True)
    a.add_argument("--name", required=True)
    _threshold_arguments(a)
    a.set_defaults(handler=_halls_add)
    t = h.add_parser("threshold", help="修改大厅的实时告警阈值")
    t.add_argument("--code", required=True)
    _threshold_arguments(t)
    t.set_defaults(handler=_halls_threshold)
    ls = h.add_parser("list", help="列出大厅及其告警阈值")
    ls.set_defaults(handler=_halls_list)


def _threshold_arguments(p: Any) -> None:
    p.add_argument("--min-ratings", default=None, help="alert: at least this many counted ratings (default 4)")
    p.add_argument("--window-minutes", default=None, help="alert: within this many minutes (default 15)")
    p.add_argument("--bad-percent", default=None, help="alert: at least this share of 差评, in %% (default 50)")


def _halls_add(args: Any, settings: Settings) -> int:
    threshold = service.parse_threshold(args.min_ratings, args.window_minutes, args.bad_percent)
    run_db(settings, lambda: service.add_hall(args.code, args.name, cli_actor(), threshold))
    print(f"大厅 {args.code} 已创建；告警阈值：{threshold.describe()}。")
    return 0


def _halls_threshold(args: Any, settings: Settings) -> int:
    async def work() -> str:
        hall = await service.hall_by_code(args.code)
        threshold = service.parse_threshold(args.min_ratings, args.window_minutes, args.bad_percent,
                                            base=hall.threshold)
        await service.set_hall_threshold(args.code, threshold, cli_actor())
        return threshold.describe()

    print(f"大厅 {args.code} 的告警阈值：{run_db(settings, work)}。")
    return 0


def _halls_list(args: Any, settings: Settings) -> int:
    for h in run_db(settings, service.halls):
        print(f"{h.code}\t{h.name}\t{'在用' if h.active else '已停用'}\t{h.threshold.describe()}")
    return 0


def register_departments(sub: Any) -> None:
    d = sub.add_parser("departments", help="参评部门").add_subparsers(dest="departments_command", required=True)
    s = d.add_parser("sync", help="将 surveys/departments.csv 同步到数据库：先列出差异，加 --apply 才应用（一次审计）")
    s.add_argument("--file", type=Path, default=None,
                   help="department list (default: $PINGYI_SURVEYS_DIR/departments.csv)")
    s.add_argument("--apply", action="store_true", help="apply the difference (otherwise only show it)")
    s.set_defaults(handler=_departments_sync)
    ls = d.add_parser("list", help="列出数据库中的部门（含已停用）")
    ls.set_defaults(handler=_departments_list)


def _departments_sync(args: Any, settings: Settings) -> int:
    path = args.file or settings.surveys_dir / DEPARTMENTS_FILE
    wanted = load_departments(path)  # a broken file is refused whole (DataFileError → one line, exit 2)
    if args.apply:
        changes = run_db(settings, lambda: service.sync_departments(wanted, actor=cli_actor()))
    else:
        changes = run_db(settings, lambda: service.department_changes(wanted))
    for line in changes.lines:
        print(line)
    if changes.empty:
        print(f"部门已与 {path} 一致（{changes.unchanged} 个），无需更改。")
    elif args.apply:
        print(f"已应用以上变更（{path}），并记入审计日志。")
    else:
        print("以上为预览，数据库未更改；确认无误后加 --apply 应用。")
    return 0


def _departments_list(args: Any, settings: Settings) -> int:
    for d in run_db(settings, service.departments):
        print(f"{d.code}\t{d.name}\t{'在用' if d.active else '已停用'}")
    return 0
