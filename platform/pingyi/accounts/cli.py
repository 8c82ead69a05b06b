"""Interface layer: `pingyi user create` and `pingyi audit verify|head` (SPEC §7)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from pingyi.cli import UsageError, run_db
from pingyi.core import audit as chain
from pingyi.settings import Settings

from . import audit, service


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="office user accounts").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("create", help="create an office user")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=["admin", "investigator", "inspector", "liaison"])
    p.add_argument("--department", help="department code (liaison only)")
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--password-env", default="PINGYI_NEW_PASSWORD",
                   help="read the password from this environment variable (else prompt)")
    p.set_defaults(handler=cmd_create)

    log = sub.add_parser("audit", help="the hash-chained audit log").add_subparsers(dest="audit_command",
                                                                                   required=True)
    p = log.add_parser("verify", help="check the chain in the database (exit 1 when it is broken)")
    p.add_argument("--head", help="a head kept elsewhere (\"seq:hash\", from `pingyi audit head`, a snapshot or a "
                                  "publication): also check the log still holds it unchanged")
    p.set_defaults(handler=cmd_verify)
    p = log.add_parser("head", help="print the chain head (seq:hash) to keep elsewhere")
    p.set_defaults(handler=cmd_head)


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    password = os.environ.get(args.password_env)
    if password is None:
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            raise UsageError("两次输入的密码不一致")
    user = run_db(settings, lambda: service.create_user(args.username, password, args.role,
                                                        department_code=args.department, display_name=args.name,
                                                        actor="cli"))
    print(f"已创建用户 {user.username}（{user.role}）")
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    if args.head is not None:
        chain.parse_head(args.head)  # bad input: one line, exit 2, before touching the database

    async def work() -> tuple[list[str], str]:
        return await audit.verify(args.head), await audit.head()

    problems, head = run_db(settings, work)
    if problems:
        for problem in problems:
            print(f"审计链校验失败：{problem}", file=sys.stderr)
        return 1
    print(f"审计链完整，链头 {head}" + ("，与另行保存的链头一致" if args.head else ""))
    return 0


def cmd_head(args: argparse.Namespace, settings: Settings) -> int:
    print(run_db(settings, audit.head))
    return 0
