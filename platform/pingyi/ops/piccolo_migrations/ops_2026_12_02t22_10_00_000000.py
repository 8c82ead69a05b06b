"""Infrastructure layer: the `windows` Piccolo app became `ratings` (the hall move, docs/architecture.md).

An existing database recorded the windows app's migrations under app_name 'windows'; renaming those records lets
the ratings app see its own history as run. On a fresh database this changes nothing. Runs before every app.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T22:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rename the windows app's migration records to ratings"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ops", description=DESCRIPTION)

    async def rename_app():
        from piccolo.apps.migrations.tables import Migration

        await Migration.update({Migration.app_name: "ratings"}).where(Migration.app_name == "windows")

    manager.add_raw(rename_app)
    return manager
