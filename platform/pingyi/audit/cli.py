"""Interface layer: `pingyi audit verify` and `pingyi audit head` (SPEC §7)."""

from __future__ import annotations

from typing import Any

from pingyi.cli import UsageError, run_db
from pingyi.settings import Settings

from . import service


def register(sub: Any) -> None:
    a = sub.add_parser("audit", help="审计日志").add_subparsers(dest="audit_command", required=True)
    a.add_parser("verify", help="从数据库校验审计日志的哈希链").set_defaults(handler=_verify)
    a.add_parser("head", help="打印审计日志链头（序号与哈希），请另行保存以便日后核对").set_defaults(handler=_head)


def _verify(args: Any, settings: Settings) -> int:
    problems = run_db(settings, service.verify)
    if problems:
        raise UsageError(f"审计日志校验失败：{problems[0]}（共 {len(problems)} 处）")
    print("审计日志哈希链完整。")
    return 0


def _head(args: Any, settings: Settings) -> int:
    head = run_db(settings, service.head)
    print("审计日志为空。" if head is None else f"{head.seq}\t{head.hash}")
    return 0
