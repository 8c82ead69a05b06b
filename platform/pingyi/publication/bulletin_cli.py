"""Interface layer: `pingyi bulletin keygen|rotate-key|keys|export` and `pingyi verify-bulletin` (SPEC §3;
docs/bulletin.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pingyi.cli import UsageError, cli_actor, run_db
from pingyi.core import bulletin_check, bulletin_verify
from pingyi.core.errors import InvalidInput
from pingyi.datafiles import private_dir
from pingyi.settings import Settings

from . import bulletin, service, signing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bulletin", help="the signed bulletin: the office's key, and the files to publish")
    tasks = p.add_subparsers(dest="task", required=True, parser_class=type(p))
    t = tasks.add_parser("keygen", help="make the office's signing key if there is none (prints the public key)")
    t.set_defaults(handler=cmd_keygen)
    t = tasks.add_parser("rotate-key", help="retire the current key (its private half is deleted) and make a new one")
    t.set_defaults(handler=cmd_rotate)
    t = tasks.add_parser("keys", help="list every public key the office has signed with")
    t.set_defaults(handler=cmd_keys)
    t = tasks.add_parser("export", help="write a published year's bulletin (JSON, CSV, signatures, public key)")
    t.add_argument("--campaign", type=int, metavar="YEAR", help="default: the newest published year")
    t.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if missing)")
    t.set_defaults(handler=cmd_export)
    p = sub.add_parser("verify-bulletin", help="check a bulletin file: signature, every score, grade and rank "
                                               "(exit 0 verified, 1 mismatch, 2 unreadable, 3 no --key given)")
    p.add_argument("file", help="bulletin-YEAR-vN.json or .csv")
    p.add_argument("--key", help="the office's public key: a file (office-key.pub) or the key itself")
    p.add_argument("--sig", help="the signature file (default: FILE.sig)")
    p.add_argument("--receipt", help="your receipt code: check that it is listed")
    p.set_defaults(handler=cmd_verify)


def _print_key(entry: dict[str, object], title: str) -> None:
    print(f"{title}：{entry['key_id']}（{entry['created_at']} 生成）")
    print(bulletin_check.format_public_key(signing.public_bytes(dict(entry))).strip())


def cmd_keygen(args: argparse.Namespace, settings: Settings) -> int:
    before = signing.current(settings.data_dir)
    entry = run_db(settings, lambda: bulletin.signing_key(settings.data_dir, actor=cli_actor()))
    _print_key(entry, "已有签名密钥" if before and before["key_id"] == entry["key_id"] else "已生成签名密钥")
    return 0


def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
    new, old = run_db(settings, lambda: bulletin.rotate_key(settings.data_dir, actor=cli_actor()))
    if old:
        print(f"已停用密钥 {old['key_id']}（私钥已删除，公钥仍公布，旧公告仍可核验）")
    _print_key(new, "新签名密钥")
    return 0


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    entries = signing.registry(settings.data_dir)
    if not entries:
        print("还没有签名密钥：运行 pingyi bulletin keygen")
    for e in reversed(entries):
        state = "当前" if e["retired_at"] is None else f"{e['retired_at']} 停用"
        print(f"{e['key_id']}\t{e['created_at']} 生成\t{state}\t"
              f"{bulletin_check.format_public_key(signing.public_bytes(e)).strip()}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} 不是文件夹")
    async def work() -> dict[str, bytes]:
        year = args.campaign
        if year is None:
            years = await service.published_years()
            if not years:
                raise UsageError("还没有公布过任何年度的评议结果，没有公告可导出。")
            year = years[0]
        return await bulletin.files(year, settings.data_dir)

    files = run_db(settings, work)
    private_dir(out)
    for name, data in files.items():
        (out / name).write_bytes(data)
        print(out / name)
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    try:
        lines, status = bulletin_verify.check_files(args.file, args.key, args.sig, args.receipt)
    except OSError as exc:
        raise UsageError(f"无法读取文件：{exc}") from None
    except InvalidInput as exc:
        raise UsageError(exc.message) from None
    print("\n".join(lines))
    return status
