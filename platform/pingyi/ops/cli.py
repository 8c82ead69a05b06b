"""Interface layer: `pingyi serve`, `pingyi migrate`, `pingyi demo`, `pingyi run` (the README's one command)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

from pingyi import db
from pingyi.cli import UsageError, run_db
from pingyi.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="apply every pending database migration")
    p.set_defaults(handler=cmd_migrate)
    p = sub.add_parser("serve", help="serve the web application")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1; a 2-core server: 2)")
    p.set_defaults(handler=cmd_serve)
    p = sub.add_parser("demo", help="load the demo county (idempotent): departments, ballots, complaints, results")
    p.set_defaults(handler=cmd_demo)
    p = sub.add_parser("run", help="migrate, load the demo, start ingest + simulated terminals, and serve")
    p.add_argument("--no-terminals", action="store_true", help="do not start the ingest worker and simulators")
    p.set_defaults(handler=cmd_run)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    engine = db.make_engine(settings.database)
    asyncio.run(db.migrate(engine))
    print(f"数据库已是最新结构：{_describe(settings)}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from pingyi.app import create_app

    settings.ensure_secret()  # before any worker starts: every process must sign with the same key
    workers = getattr(args, "workers", 1)
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    common = {"host": settings.http.host, "port": settings.http.port, "access_log": False, "log_level": "warning"}
    if workers == 1:
        app = create_app(settings)
        _quiet_gc()
        uvicorn.run(app, **common)
    else:  # each worker process builds its own app (and pool) from the same environment
        uvicorn.run("pingyi.app:app_from_env", factory=True, workers=workers, **common)
    return 0


def _quiet_gc() -> None:
    """Move start-up objects out of the collector's view and collect young objects less often: fewer, shorter
    GC pauses in the request path (they showed as the ballot API's latency tail)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from .demo import load_demo

    summary = run_db(settings, lambda: load_demo(settings))
    for line in summary:
        print(line)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    cmd_migrate(args, settings)
    cmd_demo(args, settings)
    children: list[subprocess.Popen] = []
    if not args.no_terminals:
        from .demo_terminals import start_terminal_demo

        children = start_terminal_demo(settings)
        if children:
            from .demo_month import run_demo_month

            for line in run_demo_month(settings):
                print(line)
    url = settings.http.public_base_url
    print("")
    print(f"  pingyi 已启动：{url}/")
    print(f"  办公室登录：{url}/login   用户名 admin   密码 {DEMO_PASSWORD_HINT}")
    print("  按 Ctrl+C 停止。")
    print("")
    sys.stdout.flush()
    try:
        return cmd_serve(args, settings)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()


DEMO_PASSWORD_HINT = "pingyi-demo"


def _describe(settings: Settings) -> str:
    if settings.database.is_sqlite:
        return f"SQLite {settings.database.sqlite_path}"
    return "PostgreSQL " + settings.database.url.split("@")[-1]
