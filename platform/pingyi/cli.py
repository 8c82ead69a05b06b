"""Interface layer: helpers shared by the `pingyi` subcommands (one line and exit 2 on bad input)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from . import db
from .clock import Clock, SystemClock, use_clock
from .settings import Settings

T = TypeVar("T")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


def run_db(settings: Settings, work: Callable[[], Awaitable[T]], *, clock: Clock | None = None) -> T:
    """Run `work` with the configured database and the process's clock bound (one event loop, pool opened and
    closed). `clock` defaults to the system clock in the settings' time zone."""
    use_clock(clock or SystemClock(settings.timezone))

    async def main() -> T:
        engine = db.make_engine(settings.database)
        db.use_engine(engine)
        await db.open_pool(engine, settings.database.pool_max)
        try:
            return await work()
        finally:
            await db.close_pool(engine)

    return asyncio.run(main())


def cli_actor() -> str:
    """The audit actor of a command: `cli:<os user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return "cli"


def fail(message: str) -> int:
    print(f"pingyi: {message}", file=sys.stderr)
    return 2


Handler = Callable[[Any, Settings], int]
