"""Interface layer: `python -m pingyi.ratings.ingest [options]` — the ingest worker alone (same as `pingyi ingest`)."""

from __future__ import annotations

import argparse
import sys

from pingyi.cli import UsageError, fail
from pingyi.settings import Settings

from .. import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pingyi-ingest")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["ingest", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.handler(args, Settings.from_env()) or 0)
    except UsageError as exc:
        return fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
