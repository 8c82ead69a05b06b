"""Infrastructure layer: composite indexes of the windows tables (SPEC §4) — raw SQL, valid on SQLite and PostgreSQL.

Piccolo runs a migration's raw functions before its add_table steps, so these live in their own migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T16:36:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes on rating"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS rating_department_occurred ON rating (department, occurred_at)",
    "CREATE INDEX IF NOT EXISTS rating_window_occurred ON rating (\"window\", occurred_at)",
    "CREATE INDEX IF NOT EXISTS rating_terminal_boot ON rating (terminal, boot)",
    "CREATE INDEX IF NOT EXISTS rating_bad_queue ON rating (bad, dismissed, occurred_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="windows", description=DESCRIPTION)

    async def create_indexes():
        from pingyi.db import current_engine

        for sql in STATEMENTS:
            await current_engine().run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
