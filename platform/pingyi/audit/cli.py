"""Interface layer: `pingyi audit verify [--head SEQ:HASH]` and `pingyi audit head` (SPEC §7)."""

from __future__ import annotations

import sys
from typing import Any

from pingyi.cli import run_db
from pingyi.core import audit as chain
from pingyi.settings import Settings

from . import service


def register(sub: Any) -> None:
    log = sub.add_parser("audit", help="the hash-chained audit log").add_subparsers(dest="audit_command",
                                                                                   required=True)
    p = log.add_parser("verify", help="check the chain in the database (exit 1 when it is broken)")
    p.add_argument("--head", help="a head kept elsewhere (\"seq:hash\", from `pingyi audit head`, a snapshot or a "
                                  "publication): also check the log still holds it unchanged")
    p.set_defaults(handler=cmd_verify)
    p = log.add_parser("head", help="print the chain head (seq:hash) to keep elsewhere")
    p.set_defaults(handler=cmd_head)


def cmd_verify(args: Any, settings: Settings) -> int:
    if args.head is not None:
        chain.parse_head(args.head)  # bad input: one line, exit 2, before touching the database

    async def work() -> tuple[list[str], str]:
        return await service.verify(args.head), await service.head()

    problems, head = run_db(settings, work)
    if problems:
        for problem in problems:
            print(f"审计链校验失败：{problem}", file=sys.stderr)
        return 1
    print(f"审计链完整，链头 {head}" + ("，与另行保存的链头一致" if args.head else ""))
    return 0


def cmd_head(args: Any, settings: Settings) -> int:
    print(run_db(settings, service.head))
    return 0
