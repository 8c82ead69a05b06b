"""Core layer: the bulletin verifier's command line, shared by `pingyi verify-bulletin` and
`platform/verify_bulletin.py` — read the files, run `bulletin_check`, render the lines, pick the exit status
(SPEC §3; docs/bulletin.md). Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pingyi.core.bulletin_check import (
    Report,
    parse_public_key,
    verify,
    verify_table,
)
from pingyi.core.errors import InvalidInput


def summary(document: Any) -> list[str]:
    """A few lines saying what was checked (for the command's output)."""
    if not isinstance(document, dict):
        return []
    deps = document.get("departments") or []
    rated = sum(1 for d in deps if isinstance(d, dict) and d.get("published") is not None)
    return [f"{document.get('year')} 年度评议公告第 {document.get('version')} 版（结果摘要 "
            f"{str(document.get('digest', ''))[:16]}…）",
            f"回执码 {len(document.get('receipts') or [])} 个；部门 {len(deps)} 个，其中 {rated} 个有公布得分"]


def render(report: Report, document: Any) -> list[str]:
    """The verifier's output lines (the same for `pingyi verify-bulletin` and `platform/verify_bulletin.py`)."""
    lines = summary(document)
    if report.signature_valid:
        lines.append(f"签名有效：密钥 {report.key_id}")
    lines.extend(f"说明：{note}" for note in report.notes)
    if report.receipt_listed:
        lines.append("你的回执码在公告中。")
    lines.extend(f"不符：{finding}" for finding in report.findings)
    if report.findings:
        lines.append(f"核验未通过：{len(report.findings)} 处不符。")
    elif not report.key_pinned:
        lines.append("内容与签名一致，每个得分、等级和名次都已按公告数据重新算过；"
                     "但你没有用 --key 给出办公室公布的公钥，"
                     f"签名只用签名文件自带的密钥 {report.key_id} 核对过：请与网站和报告上公布的密钥编号比对。")
    else:
        lines.append("核验通过：签名有效，每个得分、等级和名次都已按公告数据重新算过，全部一致。")
    return lines


def run(data: bytes, signature: bytes | None, key_text: str | None, receipt: str | None,
        csv: bool = False) -> tuple[list[str], int]:
    """Verify and render; (lines, exit status). Raises InvalidInput for an unreadable key or file (status 2)."""
    pinned = parse_public_key(key_text) if key_text is not None else None
    if csv:
        report, table = verify_table(data, signature, pinned, receipt)
        return render(report, table), report.exit_status
    report = verify(data, signature, pinned, receipt)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        document = None
    return render(report, document), report.exit_status


def check_files(file: str, key: str | None, sig: str | None, receipt: str | None) -> tuple[list[str], int]:
    """Read the files named on a command line and verify them: the signature is `--sig` or FILE.sig; `key` is a
    key file's path or the key itself. Raises OSError / InvalidInput (exit status 2)."""
    data = Path(file).read_bytes()
    sig_path = Path(sig) if sig else Path(file + ".sig")
    if sig and not sig_path.exists():
        raise InvalidInput(f"签名文件不存在：{sig}")
    signature = sig_path.read_bytes() if sig_path.exists() else None
    key_text = None
    if key is not None:
        key_text = Path(key).read_text(encoding="utf-8") if "\n" not in key and Path(key).is_file() else key
    return run(data, signature, key_text, receipt, csv=file.lower().endswith(".csv"))
