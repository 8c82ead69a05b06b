"""Infrastructure layer: Piccolo's configuration module (PICCOLO_CONF=pingyi.piccolo_conf).

DB is built from the environment only when Piccolo's own CLI imports this module; the service swaps it
through pingyi.db.use_engine(), so settings stay injected.
"""

from piccolo.conf.apps import AppRegistry

from pingyi.db import APP_MODULES, make_engine
from pingyi.settings import Settings

DB = make_engine(Settings.from_env().database, create_dirs=False)

APP_REGISTRY = AppRegistry(apps=list(APP_MODULES))
