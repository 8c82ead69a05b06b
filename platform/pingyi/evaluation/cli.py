"""Interface layer: `pingyi campaign create|open|close` and `pingyi cards generate` (SPEC §2–3)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from pingyi.catalog import load_catalog
from pingyi.cli import UsageError, run_db
from pingyi.datafiles import private_dir
from pingyi.settings import Settings

from . import cardsheet, service
from .symposium_cli import register as register_symposium


def register(sub: argparse._SubParsersAction) -> None:
    camp = sub.add_parser("campaign", help="annual campaigns").add_subparsers(dest="campaign_command", required=True)
    p = camp.add_parser("create", help="create a draft campaign with every active department")
    p.add_argument("--year", type=int, help="default: the first year from this one without a campaign")
    p.add_argument("--title")
    p.add_argument("--k", type=int, default=5, help="small-cell threshold, 1-50 (default 5)")
    p.add_argument("--departments", help="comma-separated department codes (default: every active one)")
    p.add_argument("--cards-from", type=date.fromisoformat)
    p.add_argument("--symposium-on", type=date.fromisoformat)
    p.add_argument("--complaint-from", type=date.fromisoformat)
    p.add_argument("--complaint-to", type=date.fromisoformat)
    p.set_defaults(handler=cmd_create)
    for action in ("open", "close"):
        p = camp.add_parser(action, help=f"{action} a campaign")
        p.add_argument("--year", type=int, required=True)
        p.set_defaults(handler=cmd_state, action=action)

    cards = sub.add_parser("cards", help="one-time QR cards").add_subparsers(dest="cards_command", required=True)
    p = cards.add_parser("generate", help="mint N cards; write their tokens ONCE to a CSV and a printable PDF")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", type=Path, required=True, help="folder for cards-YEAR-batchN.{pdf,csv}")
    p.set_defaults(handler=cmd_cards)
    register_symposium(sub)


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    catalog = load_catalog(settings.surveys_dir)

    async def work() -> int:
        codes = args.departments.split(",") if args.departments else await service.department_codes()
        if not codes:
            raise UsageError("没有启用的参评部门：请先运行 pingyi departments sync")
        year = args.year if args.year is not None else await service.default_year()
        await service.create_campaign(
            year, args.title, catalog.questionnaire, codes, cards_from=args.cards_from,
            symposium_on=args.symposium_on, complaint_from=args.complaint_from, complaint_to=args.complaint_to,
            k=args.k, actor="cli")
        return year

    year = run_db(settings, work)
    print(f"已创建 {year} 年度评议活动（草稿）")
    return 0


def cmd_state(args: argparse.Namespace, settings: Settings) -> int:
    state = run_db(settings, lambda: service.change_state(args.year, args.action, actor="cli"))
    print(f"{args.year} 年度评议活动状态：{state}")
    return 0


def cmd_cards(args: argparse.Namespace, settings: Settings) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is not a folder")

    base = settings.http.public_base_url
    # No CJK font: exit 2 with the Chinese message before a card is minted.
    cardsheet.check_font(f"{args.campaign}年度外来投资企业民主评议", args.campaign, base, settings.fonts)
    minted = run_db(settings, lambda: service.mint_cards(args.campaign, args.count, actor="cli"))
    private_dir(out)
    stem = out / f"cards-{args.campaign}-batch{minted.batch}"
    cardsheet.write_card_sheet(minted.cards(base), minted.title, args.campaign, base, stem.with_suffix(".pdf"),
                               stem.with_suffix(".csv"), settings.fonts)
    print(f"已生成 {len(minted.tokens)} 张评议卡：{stem}.pdf 和 {stem}.csv（令牌只写这一次，请妥善保管）")
    return 0
