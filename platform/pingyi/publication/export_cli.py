"""Interface layer: `pingyi export annual|monthly|complaints|ratings` — the office's spreadsheets from the shell
(SPEC §6, issue 11; the same sheets as /office/exports, docs/exports.md).

The file is created with mode 0600 and never overwritten (an existing --out is refused); every export is audited
(actor "cli"). Complaints carry the complainant's contact only with --with-contact (SPEC §5: investigators only).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pingyi import workcalendar
from pingyi.audit import service as audit
from pingyi.cli import UsageError, cli_actor, run_db
from pingyi.datafiles import write_private
from pingyi.db import write_transaction
from pingyi.render.spreadsheet import Sheet, to_csv, to_xlsx
from pingyi.settings import Settings

from . import exports


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="导出 Excel (XLSX) 或 CSV：年度结果、月度考核、投诉、每日窗口评价")
    kinds = p.add_subparsers(dest="kind", required=True, parser_class=type(p))
    for kind, help_text in (("annual", "已公布的年度评议结果"), ("monthly", "已公布的月度考核"),
                            ("complaints", "投诉（默认不含联系方式）"), ("ratings", "每个窗口每天的好差评")):
        k = kinds.add_parser(kind, help=help_text)
        if kind == "annual":
            k.add_argument("--year", type=int, required=True)
        if kind in ("monthly", "ratings"):
            k.add_argument("--month", required=True, metavar="YYYY-MM")
        if kind == "ratings":
            k.add_argument("--department", default=None, help="只导出这个部门（部门代码）")
        if kind == "complaints":
            k.add_argument("--with-contact", action="store_true", help="包含投诉人联系方式（仅供调查人员）")
        k.add_argument("--format", choices=exports.FORMATS, default="xlsx")
        k.add_argument("--out", type=Path, required=True, help="要写入的文件（不能已存在）")
        k.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    out: Path = args.out
    if out.exists():
        raise UsageError(f"--out {out} already exists")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: folder {out.parent} does not exist")

    async def work() -> tuple[list[Sheet], dict[str, Any]]:
        what: dict[str, Any] = {"kind": args.kind}
        if args.kind == "annual":
            sheets, what["year"] = await exports.annual(args.year), args.year
        elif args.kind == "monthly":
            sheets, what["month"] = await exports.monthly(args.month), args.month
        elif args.kind == "complaints":
            calendar = workcalendar.for_surveys(settings.surveys_dir)
            sheets = await exports.complaint_list(include_contact=args.with_contact, calendar=calendar)
            what["contact"] = bool(args.with_contact)
        else:
            sheets = await exports.ratings_per_day(args.month, args.department)
            what.update(month=args.month, department=args.department or "")
        async with write_transaction():
            await audit.append(cli_actor(), "export.download", f"export:{args.kind}",
                               {**what, "format": args.format, "rows": len(sheets[0].rows), "cli": True})
        return sheets, what

    sheets, _ = run_db(settings, work)
    write_private(out, to_xlsx(sheets) if args.format == "xlsx" else to_csv(sheets[0]))
    print(f"已导出 {len(sheets[0].rows)} 行：{out}")
    return 0
