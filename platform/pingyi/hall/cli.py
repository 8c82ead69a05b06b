"""Interface layer: `pingyi departments sync|list`, `pingyi windows add` (SPEC §4, §8)."""

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
    a.set_defaults(handler=_windows_add)


def _windows_add(args: Any, settings: Settings) -> int:
    run_db(settings, lambda: service.add_window(args.code, args.name, args.department, cli_actor()))
    print(f"窗口 {args.code} 已创建。")
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
