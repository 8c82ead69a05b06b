"""Infrastructure layer: Piccolo app registration for the audit context.

The audit table was created by the accounts app's first migration, so audit comes after accounts; audit's first
migration adopts it without SQL (docs/architecture.md)."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["pingyi.audit.tables"], exclude_imported=True),
    migration_dependencies=["pingyi.accounts.piccolo_app"],
    commands=[],
)
