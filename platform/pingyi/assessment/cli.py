"""Interface layer: `pingyi month …` — imports, close, correction, publish, show (SPEC §4). Bad input: exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pingyi.cli import UsageError, cli_actor, run_db
from pingyi.core.snapshot import to_plain
from pingyi.settings import Settings

from . import monthclose, service


def register(sub: Any) -> None:
    m = sub.add_parser("month", help="窗口单位月度考核").add_subparsers(dest="month_command", required=True)
    imp = m.add_parser("import-online",
                       help="导入网上办件与超时红牌（CSV/XLSX：单位编码,月份,网上办件数,办件总数,超时红牌数）")
    imp.add_argument("--month", required=True)
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=_import_online)
    srv = m.add_parser("import-served", help="导入办件量（CSV/XLSX：窗口编码,月份,办件量）；同 `pingyi served import`")
    srv.add_argument("file", type=Path)
    srv.set_defaults(handler=_import_served)
    # The older spelling, kept for scripts: the same import, with the same refusal of a month no longer open.
    served = sub.add_parser("served", help="办件量").add_subparsers(dest="served_command", required=True)
    alias = served.add_parser("import", help="导入办件量 CSV 或 XLSX（表头：窗口编码,月份,办件量）")
    alias.add_argument("file", type=Path)
    alias.set_defaults(handler=_import_served)
    close = m.add_parser("close", help="结账：生成不可修改的月度考核版本（含输入摘要）")
    close.add_argument("--month", required=True)
    close.add_argument("--reason", default="", help="更正理由（重新结账时）")
    close.set_defaults(handler=_close)
    reopen = m.add_parser("reopen", help="发起更正：已结账的月份重新开放录入，须填写理由")
    reopen.add_argument("--month", required=True)
    reopen.add_argument("--reason", required=True)
    reopen.set_defaults(handler=_reopen)
    pub = m.add_parser("publish", help="公布该月最新版本")
    pub.add_argument("--month", required=True)
    pub.set_defaults(handler=_publish)
    show = m.add_parser("show", help="显示该月最新版本（未结账时为即时预览，不保存）")
    show.add_argument("--month", required=True)
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=_show)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _import_online(args: Any, settings: Settings) -> int:
    data = _read(args.file)
    n = run_db(settings, lambda: service.import_online(data, args.file.name, args.month, actor=cli_actor()))
    print(f"已导入 {n} 行网上办件与超时红牌（{service.month_arg(args.month)}）。")
    return 0


def _import_served(args: Any, settings: Settings) -> int:
    data = _read(args.file)
    n = run_db(settings, lambda: service.import_served(data, args.file.name, actor=cli_actor()))
    print(f"已导入 {n} 行办件量。")
    return 0


def _close(args: Any, settings: Settings) -> int:
    rubric = service.rubric_from(settings.surveys_dir)
    payload = run_db(settings, lambda: monthclose.close_month(args.month, cli_actor(), rubric=rubric,
                                                              reason=args.reason))
    print(f"{payload['month']} 已结账：第 {payload['version']} 版，输入摘要 {payload['digest']}。")
    return 0


def _reopen(args: Any, settings: Settings) -> int:
    run_db(settings, lambda: monthclose.reopen_month(args.month, args.reason, actor=cli_actor()))
    print(f"{service.month_arg(args.month)} 已开放更正；录入完成后重新结账生成新版本。")
    return 0


def _publish(args: Any, settings: Settings) -> int:
    version = run_db(settings, lambda: monthclose.publish_month(args.month, cli_actor()))
    print(f"{service.month_arg(args.month)} 第 {version} 版已公布。")
    return 0


def _show(args: Any, settings: Settings) -> int:
    rubric = service.rubric_from(settings.surveys_dir)
    month = service.month_arg(args.month)

    async def work() -> dict[str, Any]:
        payload = await monthclose.latest_payload(month)
        if payload is not None:
            return {"source": "snapshot", "version": payload["version"], "digest": payload["digest"],
                    "state": await service.state_name(month),
                    "result": monthclose.rendered_result(payload["result"])}
        if not service.started(month):
            raise UsageError(f"{month} 尚未开始。")
        result, digest = await monthclose.preview(month, rubric)
        return {"source": "preview", "version": None, "digest": digest, "state": await service.state_name(month),
                "result": monthclose.rendered_result(to_plain(result))}

    shown = run_db(settings, work)
    if args.format == "json":
        json.dump(shown, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    head = (f"第 {shown['version']} 版" if shown["source"] == "snapshot" else "预览（未保存）")
    print(f"{month} {service.STATE_LABELS[shown['state']]} {head} 输入摘要 {shown['digest']}")
    for r in shown["result"]["rows"]:
        award = {"excellent": "优秀", "poor": "较差"}.get(r.get("award") or "", "")
        veto = f" 一票否决：{r['veto_reason']}" if r.get("vetoed") else ""
        ladder = f" {r['ladder_label']}（连续 {r['ladder_run']} 个月）" if r.get("award") == "poor" else ""
        print(f"{r['rank']}\t{r['code']}\t{r['name']}\t{r['published_total']}\t{award}{ladder}{veto}")
    return 0
