"""Interface layer: `pingyi symposium record|attendance|note|show` — the symposium (座谈会) record from the
command line, for an office that types up the minutes in bulk (SPEC §2, seed 篇3; docs/portal.md). Bad input:
one line, exit 2."""

from __future__ import annotations

import argparse

from pingyi.cli import cli_actor, run_db
from pingyi.core import symposium as rules
from pingyi.settings import Settings

from . import symposium


def register(sub: argparse._SubParsersAction) -> None:
    sym = sub.add_parser("symposium", help="the symposium (座谈会) record").add_subparsers(
        dest="symposium_command", required=True)
    p = sym.add_parser("record", help="record a symposium as held (prints its id)")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--held-on", required=True, help="YYYY-MM-DD, not after today")
    p.add_argument("--place", default="")
    p.set_defaults(handler=cmd_record)
    p = sym.add_parser("attendance", help="who came for a department")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--symposium", type=int, required=True, metavar="ID")
    p.add_argument("--department", required=True, metavar="CODE")
    p.add_argument("--status", required=True, choices=list(rules.ATTENDANCE_LABELS))
    p.add_argument("--attendee", default="", help="name and post (required for leader and deputy)")
    p.add_argument("--note", default="")
    p.set_defaults(handler=cmd_attendance)
    p = sym.add_parser("note", help="an opinion raised about a department (no speaker)")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.add_argument("--symposium", type=int, required=True, metavar="ID")
    p.add_argument("--department", required=True, metavar="CODE")
    p.add_argument("--text", required=True)
    p.set_defaults(handler=cmd_note)
    p = sym.add_parser("show", help="every symposium of a campaign: attendance, missing main leaders, notes")
    p.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    p.set_defaults(handler=cmd_show)


def cmd_record(args: argparse.Namespace, settings: Settings) -> int:
    sid = run_db(settings, lambda: symposium.record_symposium(args.campaign, args.held_on, args.place,
                                                              actor=cli_actor()))
    print(f"已登记 {args.campaign} 年度座谈会（编号 {sid}）")
    return 0


def cmd_attendance(args: argparse.Namespace, settings: Settings) -> int:
    changed = run_db(settings, lambda: symposium.set_attendance(
        args.campaign, args.symposium, args.department, args.status, args.attendee, args.note, actor=cli_actor()))
    label = rules.ATTENDANCE_LABELS[args.status]
    print(f"{args.department}：{label}" + ("" if changed else "（与原记录相同，未改动）"))
    return 0


def cmd_note(args: argparse.Namespace, settings: Settings) -> int:
    run_db(settings, lambda: symposium.add_note(args.campaign, args.symposium, args.department, args.text,
                                                actor=cli_actor()))
    print(f"已记录对 {args.department} 的座谈会意见")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    data = run_db(settings, lambda: symposium.page(args.campaign))
    if not data["meetings"]:
        print(f"{args.campaign} 年度尚未登记座谈会")
    for m in data["meetings"]:
        s = m.symposium
        print(f"座谈会 {s.id}：{s.held_on}{' · ' + s.place if s.place else ''}")
        for code in data["codes"]:
            a = m.attendance.get(code)
            notes = len(m.notes.get(code, []))
            who = f"（{a.attendee}）" if a and a.attendee else ""
            said = f"，意见 {notes} 条" if notes else ""
            label = rules.attendance_label(a.status if a else None)
            print(f"  {code} {data['names'].get(code, code)}：{label}{who}{said}")
        missing = m.leaders_missing(data["codes"])
        print(f"  主要领导未出席：{len(missing)} 个部门" + (f"（{'、'.join(missing)}）" if missing else ""))
    return 0
