"""Shared fixtures: fresh SQLite and PostgreSQL databases (migrated once, copied per test), app clients.

PostgreSQL and Mosquitto are real components: when they are unreachable, the tests that need them FAIL
(never skip). With PINGYI_REQUIRE_SERVICES=1 (set by .ci/run) the session also fails if no PostgreSQL or
no MQTT test passed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pingyi import db
from pingyi.settings import Settings

PG_ADMIN_DSN = os.environ.get("PINGYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_PASSED = {"pg": 0, "mqtt": 0}


def _pg_base() -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0]


async def _pg_admin(sql: str) -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    except Exception as exc:  # a real component is down: fail, never skip
        pytest.fail(f"PostgreSQL at {PG_ADMIN_DSN} is unreachable ({exc}); start it (see README) and rerun")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def settings_for(url: str, tmp: Path) -> Settings:
    return Settings.from_env({"PINGYI_DATA_DIR": str(tmp), "PINGYI_DATABASE_URL": url,
                              "PINGYI_SECRET_KEY": "0" * 64, "PINGYI_ACCESS_LOG": str(tmp / "access.log")})


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    asyncio.run(db.migrate(db.make_engine(settings_for(f"sqlite:///{path}", path.parent).database)))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"pingyi_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = f"{_pg_base()}/{name}"
    engine = db.make_engine(settings_for(url, Path("/tmp")).database)
    asyncio.run(db.migrate(engine))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_settings(sqlite_template: Path, tmp_path: Path) -> Settings:
    path = tmp_path / "pingyi.sqlite3"
    shutil.copy(sqlite_template, path)
    settings = settings_for(f"sqlite:///{path}", tmp_path)
    db.use_engine(db.make_engine(settings.database))
    return settings


@pytest.fixture
def pg_settings(pg_template: str, tmp_path: Path) -> Iterator[Settings]:
    name = f"pingyi_t_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    settings = settings_for(f"{_pg_base()}/{name}", tmp_path)
    db.use_engine(db.make_engine(settings.database))
    yield settings
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """The same test on the embedded SQLite default and on PostgreSQL."""
    return request.getfixturevalue("sqlite_settings" if request.param == "sqlite" else "pg_settings")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for marker in _PASSED:
            if marker in report.keywords:
                _PASSED[marker] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("PINGYI_REQUIRE_SERVICES") != "1" or session.config.option.collectonly:
        return
    missing = [m for m, n in _PASSED.items() if n == 0]
    if missing and exitstatus == 0:
        print(f"\nFAILED: no passing test used {', '.join(missing)}: the real components were not exercised")
        session.exitstatus = 1
