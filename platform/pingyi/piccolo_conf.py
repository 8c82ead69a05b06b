"""Infrastructure layer: Piccolo's configuration module (PICCOLO_CONF=pingyi.piccolo_conf).

Nothing is read at import: `DB` is looked up when Piccolo asks for it (PEP 562 module __getattr__) and answers the
engine that pingyi.db bound from the settings of create_app() or a command; under Piccolo's own CLI, with nothing
bound, pingyi.db makes one from the environment at that moment.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry

from pingyi.db import APP_MODULES, engine_for_piccolo_cli

APP_REGISTRY = AppRegistry(apps=list(APP_MODULES))


def __getattr__(name: str) -> Any:
    if name == "DB":
        return engine_for_piccolo_cli()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
