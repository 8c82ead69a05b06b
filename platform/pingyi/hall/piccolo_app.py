"""Infrastructure layer: Piccolo app registration for the hall context.

The hall tables were created by the former windows app's first migration (now the ratings app's), so for
migration order hall comes after ratings; hall's first migration adopts them without SQL (docs/architecture.md)."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="hall",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["pingyi.hall.tables"], exclude_imported=True),
    migration_dependencies=["pingyi.ratings.piccolo_app"],
    commands=[],
)
