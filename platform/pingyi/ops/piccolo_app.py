"""Infrastructure layer: Piccolo app registration for ops: migrations that keep an existing database's migration
history right when apps are renamed. It owns no tables and runs before every other app."""

import os

from piccolo.conf.apps import AppConfig

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="ops",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=[],
    commands=[],
)
