"""Interface layer: `pingyi windows add` (SPEC §4)."""

from __future__ import annotations

from typing import Any

from pingyi.cli import cli_actor, run_db
from pingyi.settings import Settings

from . import service


def register(sub: Any) -> None:
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
