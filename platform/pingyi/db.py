"""Infrastructure layer: the database engine chosen by settings, table binding, migrations (ARCHITECTURE §5, §7)."""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import AsyncIterator
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from .settings import DatabaseSettings

# The Piccolo apps of pingyi, in dependency order (migrations run in this order).
APP_MODULES = (
    "pingyi.ops.piccolo_app",
    "pingyi.ratings.piccolo_app",
    "pingyi.hall.piccolo_app",
    "pingyi.accounts.piccolo_app",
    "pingyi.audit.piccolo_app",
    "pingyi.evaluation.piccolo_app",
    "pingyi.complaints.piccolo_app",
    "pingyi.assessment.piccolo_app",
    "pingyi.followup.piccolo_app",
    "pingyi.publication.piccolo_app",
)


def make_engine(db: DatabaseSettings, *, create_dirs: bool = True) -> Engine[Any]:
    if db.is_sqlite:
        if create_dirs:
            from .datafiles import private_dir, private_file

            private_dir(db.sqlite_path.parent)
            private_file(db.sqlite_path)  # SQLite gives its -wal and -shm files the database file's mode
        return SQLiteEngine(path=str(db.sqlite_path), timeout=db.sqlite_timeout_s)
    return PostgresEngine(config={"dsn": db.url})


def all_tables() -> list[type[Table]]:
    from piccolo.apps.migrations.tables import Migration

    tables: list[type[Table]] = [Migration]
    for name in APP_MODULES:
        tables.extend(importlib.import_module(name).APP_CONFIG.table_classes)
    return tables


_ENGINE: Engine[Any] | None = None  # the process's one engine, bound by use_engine()


def use_engine(engine: Engine[Any]) -> None:
    """Bind every table (and Piccolo's migration machinery, through piccolo_conf.DB) to `engine`.

    One engine per process at a time, made from the settings given to create_app() or to a command."""
    global _ENGINE
    os.environ.setdefault("PICCOLO_CONF", "pingyi.piccolo_conf")
    _ENGINE = engine
    for table in all_tables():
        table._meta.db = engine


def current_engine() -> Engine[Any]:
    if _ENGINE is None:
        raise RuntimeError("no database engine is bound: call pingyi.db.use_engine() first")
    return _ENGINE


def engine_for_piccolo_cli() -> Engine[Any]:
    """What piccolo_conf.DB answers: the bound engine, or, when Piccolo's own CLI runs (`piccolo migrations …`)
    and nothing is bound yet, one made from the environment at that moment (never at import)."""
    if _ENGINE is None:
        from .settings import Settings

        use_engine(make_engine(Settings.from_env().database, create_dirs=False))
    return current_engine()


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A write transaction: BEGIN IMMEDIATE on SQLite (PITFALLS: deferred ones fail under concurrency)."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as tx:
            yield tx
    else:
        async with engine.transaction() as tx:
            yield tx


async def _keep_session(connection: Any) -> None:
    """asyncpg's pool reset hook. pingyi sets no session state (no SET, LISTEN or advisory locks), and asyncpg
    still ends any open transaction itself, so the default `RESET ALL …` round trip on every release is skipped."""


async def open_pool(engine: Engine[Any], size: int = 20) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=size, reset=_keep_session)


async def close_pool(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


async def migrate(engine: Engine[Any]) -> None:
    """Run every pending Piccolo migration of every pingyi app against `engine`."""
    import io
    from contextlib import redirect_stdout

    from piccolo.apps.migrations.commands.forwards import run_forwards

    os.environ.setdefault("PICCOLO_CONF", "pingyi.piccolo_conf")
    use_engine(engine)
    if isinstance(engine, SQLiteEngine):
        # Enable WAL once; it persists in the database file.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    buf = io.StringIO()
    with redirect_stdout(buf):
        response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migration failed: {response.message}\n{buf.getvalue()}")


def _numbered(sql: str) -> str:
    """'{}' placeholders (Piccolo's raw style) → PostgreSQL's $1, $2, …"""
    parts = sql.split("{}")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Hot-path raw query with '{}' placeholders. On PostgreSQL with a started pool it goes straight to asyncpg
    (Piccolo's query-string assembly cost more than the round trip for the ballot path); otherwise Table.raw."""
    engine = current_engine()
    pool = getattr(engine, "pool", None)
    if isinstance(engine, PostgresEngine) and pool is not None and engine.current_transaction.get() is None:
        async with pool.acquire() as conn:
            return [dict(r) for r in await conn.fetch(_numbered(sql), *args)]
    from piccolo.apps.migrations.tables import Migration

    rows: list[dict[str, Any]] = await Migration.raw(sql, *args)
    return rows
