"""Interface layer: the `pingyi` command (also `python -m pingyi`): serve, migrate, demo, users, cards, results.

Each context contributes subcommands through its cli.register(subparsers). A bad input prints one line and
exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .cli import UsageError, fail
from .core.errors import DomainError
from .settings import Settings, SettingsError

CLI_MODULES = (
    "pingyi.ops.cli",
    "pingyi.accounts.cli",
    "pingyi.evaluation.cli",
    "pingyi.complaints.cli",
    "pingyi.publication.cli",
    "pingyi.publication.export_cli",
    "pingyi.hall.cli",
    "pingyi.ratings.cli",
    "pingyi.assessment.cli",
    "pingyi.audit.cli",
    "pingyi.followup.cli",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pingyi", description="政务服务评议平台 pingyi")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in CLI_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from . import wiring

    wiring.bind()  # the annual results that call for rectification tasks (publication → followup)
    try:
        settings = Settings.from_env()
        return int(args.handler(args, settings) or 0)
    except DomainError as exc:
        return fail(exc.message)
    except (UsageError, SettingsError) as exc:
        return fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
