"""Infrastructure layer: Piccolo app registration for the evaluation context."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="evaluation",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["pingyi.evaluation.tables"], exclude_imported=True),
    migration_dependencies=["pingyi.hall.piccolo_app"],
    commands=[],
)
