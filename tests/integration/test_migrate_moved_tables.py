"""Moving tables between Piccolo apps keeps every row (issue 6, docs/architecture.md "Moved tables").

The fixtures in tests/fixtures/pre_hall/ were made by the code before the move (departments and windows in the
`windows` app, the audit log in `accounts`). Today's migrations upgrade them; every row must still be there, the
audit chain must still verify, the app history must be renamed, and the app must serve the old data.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from pingyi import db

from ..conftest import _pg_admin, _pg_base, settings_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pre_hall"

# table → rows in the fixture (counted once from the fixture files; the same steps made both)
TABLES = ("department", "service_window", "terminal", "rating", "served_count", "office_user", "audit_entry",
          "campaign", "card", "ballot", "section", "receipt", "complaint", "complaint_event", "snapshot",
          "publication")


async def _counts(engine) -> dict[str, int]:
    out = {}
    for t in TABLES:
        rows = await _query(engine, f'SELECT COUNT(*) AS n FROM "{t}"')
        out[t] = int(rows[0]["n"])
    return out


async def _query(engine, sql: str) -> list[dict]:
    from piccolo.apps.migrations.tables import Migration

    return await Migration.raw(sql)


async def _upgrade_and_check(engine) -> tuple[dict[str, int], dict[str, int], list[tuple[str, str]]]:
    db.use_engine(engine)
    before = await _counts(engine)
    await db.migrate(engine)
    after = await _counts(engine)
    history = [(r["app_name"], r["name"]) for r in await _query(engine, "SELECT app_name, name FROM migration")]
    return before, after, history


def _assert_upgraded(before, after, history, problems):
    assert before["department"] == 21 and before["audit_entry"] > 0 and before["ballot"] > 0, before
    assert after == before, "a row was lost or added by the move"
    apps = {a for a, _ in history}
    assert "windows" not in apps, "the windows app's history was not renamed"
    assert {"ratings", "hall", "audit", "ops"} <= apps
    assert problems == [], problems


async def _serve_old_data() -> tuple[list[str], str, int]:
    """Through today's code: the departments (hall), a window (hall), the published results (publication)."""
    from pingyi.audit import service as audit
    from pingyi.hall import repository as hall
    from pingyi.publication import service as publication

    codes = [d.code for d in await hall.departments()]
    window = await hall.window_by_code("W01")
    years = await publication.published_years()
    results = await publication.published_results(years[0])
    problems = await audit.verify()
    assert not problems, problems
    return codes, window.name if window else "", len(results["results"])


def test_sqlite_database_from_before_the_move_upgrades_without_loss(tmp_path):
    path = tmp_path / "pingyi.sqlite3"
    with gzip.open(FIXTURES / "pre_hall.sqlite3.gz") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    settings = settings_for(f"sqlite:///{path}", tmp_path)

    async def work():
        engine = db.make_engine(settings.database)
        before, after, history = await _upgrade_and_check(engine)
        from pingyi.audit import service as audit

        _assert_upgraded(before, after, history, await audit.verify())
        return await _serve_old_data()

    codes, window_name, n_results = asyncio.run(work())
    assert len(codes) == 21 and window_name == "一号窗口" and n_results == 21
    with sqlite3.connect(path) as con:  # the rows are the same rows, not copies: ids kept
        assert con.execute("SELECT department FROM service_window WHERE code = 'W01'").fetchone()[0] == \
            con.execute("SELECT id FROM department WHERE code = 'D05'").fetchone()[0]


@pytest.mark.pg
def test_postgresql_database_from_before_the_move_upgrades_without_loss(tmp_path):
    name = f"pingyi_prehall_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        import asyncpg

        sql = gzip.decompress((FIXTURES / "pre_hall.pg.sql.gz").read_bytes()).decode("utf-8")
        script = "\n".join(line for line in sql.splitlines() if not line.startswith("\\"))  # psql meta-commands

        async def load():
            conn = await asyncpg.connect(f"{_pg_base()}/{name}")
            try:
                await conn.execute(script)
                await conn.execute("SELECT pg_catalog.set_config('search_path', 'public', false)")
            finally:
                await conn.close()

        asyncio.run(load())
        settings = settings_for(f"{_pg_base()}/{name}", tmp_path)

        async def work():
            engine = db.make_engine(settings.database)
            before, after, history = await _upgrade_and_check(engine)
            from pingyi.audit import service as audit

            _assert_upgraded(before, after, history, await audit.verify())
            return await _serve_old_data()

        codes, window_name, n_results = asyncio.run(work())
        assert len(codes) == 21 and window_name == "一号窗口" and n_results == 21
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_fresh_database_gets_the_same_schema_history(sqlite_settings):
    """On a new install the moved apps' migrations are recorded too, so later migrations apply the same way."""

    async def work():
        engine = db.current_engine()
        return [(r["app_name"], r["name"]) for r in await _query(engine, "SELECT app_name, name FROM migration")]

    history = asyncio.run(work())
    apps = [a for a, _ in history]
    assert "windows" not in apps and {"ops", "ratings", "hall", "accounts", "audit"} <= set(apps)
