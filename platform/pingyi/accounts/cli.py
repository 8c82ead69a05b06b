"""Interface layer: `pingyi user create` (SPEC §7)."""

from __future__ import annotations

import argparse
import getpass
import os

from pingyi.cli import UsageError, run_db
from pingyi.settings import Settings

from . import service


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
