"""Infrastructure layer: `department` and `service_window` leave the ratings app's schema history (the hall move).

The tables are NOT dropped: the hall app adopts them. Recorded without running any SQL (`fake=True`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T21:57:01:834178"
VERSION = "1.38.0"
DESCRIPTION = "department and service_window now belong to the hall app"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="ratings", description=DESCRIPTION, fake=True
    )

    manager.drop_table(
        class_name="Window", tablename="service_window", schema=None
    )

    manager.drop_table(
        class_name="Department", tablename="department", schema=None
    )

    return manager
