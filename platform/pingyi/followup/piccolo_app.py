"""Infrastructure layer: Piccolo app registration for the followup context."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="followup",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["pingyi.followup.tables"], exclude_imported=True),
    migration_dependencies=["pingyi.hall.piccolo_app", "pingyi.ratings.piccolo_app"],
    commands=[],
)
