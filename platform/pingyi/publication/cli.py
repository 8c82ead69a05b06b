"""Interface layer: `pingyi results`, `pingyi snapshot`, `pingyi publish` (SPEC §2, §6)."""

from __future__ import annotations

import argparse
import json

from pingyi.cli import run_db
from pingyi.settings import Settings

from . import bulletin_cli, service

FIELDS = ("rank", "code", "name", "section_count", "raw", "substantiated", "final", "published", "status_label")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("results", help="print a campaign's results computed from the current data (stores nothing)")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(handler=cmd_results)
    p = sub.add_parser("snapshot", help="compute and store a new immutable results version")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--reason", default="", help="required for a correction (version 2 and later)")
    p.set_defaults(handler=cmd_snapshot)
    p = sub.add_parser("publish", help="make one results version public")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--version", type=int, required=True)
    p.add_argument("--reason", default="")
    p.set_defaults(handler=cmd_publish)
    bulletin_cli.register(sub)


def cmd_results(args: argparse.Namespace, settings: Settings) -> int:
    async def work():
        return (await service.preview(args.campaign))["payload"]

    payload = run_db(settings, work)
    if args.format == "json":
        keep = ("code", "name", "section_count", "raw", "substantiated", "penalty", "unfloored", "final",
                "published", "grade", "grade_label", "status", "rank", "small_cell", "explanation",
                "explanation_steps")
        print(json.dumps({"campaign": payload["campaign"], "turnout": payload["turnout"],
                          "results": [{k: r[k] for k in keep} for r in payload["results"]]},
                         ensure_ascii=False, indent=2))
        return 0
    print("\t".join(FIELDS))
    for r in payload["results"]:
        print("\t".join("—" if r[f] is None else str(r[f]) for f in FIELDS))
    t = payload["turnout"]
    print(f"发卡 {t['cards_issued']} 张，已用 {t['cards_used']} 张")
    return 0


def cmd_snapshot(args: argparse.Namespace, settings: Settings) -> int:
    payload = run_db(settings, lambda: service.compute_snapshot(args.campaign, actor="cli", reason=args.reason))
    print(f"已生成 {args.campaign} 年度第 {payload['version']} 版结果，输入摘要 {payload['digest']}")
    return 0


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    run_db(settings, lambda: service.publish(args.campaign, args.version, actor="cli", reason=args.reason))
    print(f"已公布 {args.campaign} 年度第 {args.version} 版结果")
    return 0
