"""Infrastructure layer: `audit_entry` leaves the accounts app's schema history (the audit context move).

The table is NOT dropped: the audit app adopts it. Recorded without running any SQL (`fake=True`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T21:57:02:412785"
VERSION = "1.38.0"
DESCRIPTION = "audit_entry now belongs to the audit app"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION, fake=True
    )

    manager.drop_table(
        class_name="AuditEntry", tablename="audit_entry", schema=None
    )

    return manager
