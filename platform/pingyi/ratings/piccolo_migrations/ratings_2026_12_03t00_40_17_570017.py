from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T00:40:17:570017"
VERSION = "1.38.0"
DESCRIPTION = "rating.channel: terminal or web (the QR code channel)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="ratings", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Rating",
        tablename="rating",
        column_name="channel",
        db_column_name="channel",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 12,
            "default": "terminal",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
