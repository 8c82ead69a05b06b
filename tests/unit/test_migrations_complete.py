"""Every table change has a migration: Piccolo's auto-migration differ finds nothing left to migrate (ARCH §7)."""

from __future__ import annotations

import asyncio
import importlib
import os

import pytest

from pingyi.db import APP_MODULES


@pytest.mark.parametrize("module", APP_MODULES)
def test_no_table_change_lacks_a_migration(module):
    os.environ.setdefault("PICCOLO_CONF", "pingyi.piccolo_conf")
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    app_config = importlib.import_module(module).APP_CONFIG
    alter = asyncio.run(AutoMigrationManager(auto_input="y").get_alter_statements(app_config=app_config))
    pending = [s for group in alter for s in group.statements]
    assert pending == [], f"run: PICCOLO_CONF=pingyi.piccolo_conf piccolo migrations new {app_config.app_name} --auto"
