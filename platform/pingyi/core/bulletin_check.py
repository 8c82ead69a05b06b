"""Core layer: checking a published bulletin from the file alone — signature, counts, every score, grade and rank
(SPEC §3 "anyone … recomputes every published score from the bulletin", §2 scoring).

Stdlib only, so `platform/verify_bulletin.py` runs it with no package installed; `pingyi verify-bulletin` runs the
same code. The recomputation calls `pingyi.core.scoring` itself (the platform's one source of the rules), so the
verifier and the platform cannot drift; the bulletin also states its rules (`rules`), and a file whose rules differ
from the ones this code applies is reported, never silently re-scored by other rules.

What is signed (docs/bulletin.md): a *manifest* — the bulletin file's sha256 and one sha256 per part (the header,
the receipts, each department) of its canonical JSON. A valid manifest signature over a changed file then names the
part that changed.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pingyi.core import ed25519, scoring
from pingyi.core.errors import InvalidInput
from pingyi.core.snapshot import canonical_json

FORMAT = "pingyi.bulletin"
SCHEMA_VERSION = 1
SIGNATURE_FORMAT = "pingyi.bulletin-signature"
SIGNATURE_VERSION = 1
ALGORITHM = "Ed25519"
KEY_PREFIX = "pingyi-ed25519"
RECEIPT_RE = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): what a PEM "PUBLIC KEY" holds before the 32 key bytes.
SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")

# Exit statuses of both verifiers (documented in docs/bulletin.md and the README).
EXIT_OK = 0  # everything checks, and the signature is by the key you gave
EXIT_MISMATCH = 1  # at least one finding: signature, a changed/removed part, a count, a score, a grade or a rank
EXIT_USAGE = 2  # the file or key could not be read
EXIT_UNPINNED = 3  # everything checks, but you gave no key: the signature was checked with the key it names


@dataclass(frozen=True)
class Finding:
    """One mismatch: `part` names what is wrong ("签名", "回执码", "部门 D03 县国土资源局", "发卡统计", …)."""

    part: str
    message: str

    def __str__(self) -> str:
        return f"{self.part}：{self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    key_id: str | None = None
    key_pinned: bool = False
    signature_valid: bool = False
    receipt_listed: bool | None = None

    @property
    def exit_status(self) -> int:
        if self.findings:
            return EXIT_MISMATCH
        return EXIT_OK if self.key_pinned else EXIT_UNPINNED


# ── the rules, stated in the bulletin and applied here ───────────────────────────────────────────────────────────


def scoring_rules(k: int) -> dict[str, Any]:
    """The rules a bulletin states, from `pingyi.core.scoring` (the platform's one source)."""
    return {
        "section_points": "每份评议为每道题的得分各一位数字，其和为该份评议总分",
        "raw": "部门原始分 = 各份完整评议总分之和 ÷ 份数",
        "penalty_per_substantiated": scoring.PENALTY_PER_SUBSTANTIATED,
        "floor": "0",
        "rounding": "half_up",
        "places": 2,
        "grade_bands": [
            {"grade": scoring.SATISFIED, "label": scoring.GRADE_LABELS[scoring.SATISFIED],
             "min": f"{scoring.SATISFIED_MIN:f}"},
            {"grade": scoring.BASICALLY_SATISFIED, "label": scoring.GRADE_LABELS[scoring.BASICALLY_SATISFIED],
             "min": f"{scoring.BASICALLY_SATISFIED_MIN:f}"},
            {"grade": scoring.UNSATISFIED, "label": scoring.GRADE_LABELS[scoring.UNSATISFIED], "min": None},
        ],
        "ranking": "按公布分从高到低；同分同名次（1, 2, 2, 4），同分按部门代码先后列示；无完整评议者未获评议、不排名",
        "k": k,
    }


def questionnaire_fingerprint(questionnaire: Any) -> str:
    """sha256 of the questionnaire's canonical JSON (the campaign's frozen copy)."""
    return hashlib.sha256(canonical_json(questionnaire).encode("utf-8")).hexdigest()


# ── keys and the signed manifest ─────────────────────────────────────────────────────────────────────────────────


def key_id(public_key: bytes) -> str:
    """A public key's id: the first 16 hex digits of its sha256 (named in every signature file)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def format_public_key(public_key: bytes) -> str:
    """The one-line public key file the office publishes: `pingyi-ed25519 <base64> <key id>`."""
    return f"{KEY_PREFIX} {base64.b64encode(public_key).decode('ascii')} {key_id(public_key)}\n"


def parse_public_key(text: str) -> bytes:
    """A 32-byte Ed25519 public key from the published line, bare base64, 64 hex digits or a PEM `PUBLIC KEY`."""
    text = text.strip()
    if "-----BEGIN PUBLIC KEY-----" in text:
        body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
        der = _b64(body)
        if der is None or len(der) != 44 or not der.startswith(SPKI_PREFIX):
            raise InvalidInput("公钥 PEM 不是 Ed25519 公钥。")
        return der[len(SPKI_PREFIX):]
    words = text.split()
    if len(words) >= 2 and words[0] == KEY_PREFIX:
        text = words[1]
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    raw = _b64(text)
    if raw is None or len(raw) != 32:
        raise InvalidInput("公钥格式不对：应为公布的 “pingyi-ed25519 …” 一行、32 字节的 base64 或 64 位十六进制。")
    return raw


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _digest(part: Any) -> str:
    return hashlib.sha256(canonical_json(part).encode("utf-8")).hexdigest()


def parts(document: dict[str, Any]) -> dict[str, str]:
    """One digest per part of a bulletin: `header` (every top-level field but the lists), `receipts`, and
    `department:<code>` per department."""
    header = {k: v for k, v in document.items() if k not in ("receipts", "departments")}
    out = {"header": _digest(header), "receipts": _digest(document.get("receipts"))}
    for dept in document.get("departments") or []:
        code = dept.get("code") if isinstance(dept, dict) else None
        out[f"department:{code}"] = _digest(dept)
    return out


def manifest(data: bytes, document: dict[str, Any]) -> dict[str, Any]:
    """What the office signs for a bulletin JSON file."""
    return {"format": FORMAT, "schema_version": document.get("schema_version"), "year": document.get("year"),
            "version": document.get("version"), "file_sha256": hashlib.sha256(data).hexdigest(),
            "parts": parts(document)}


def file_manifest(data: bytes, kind: str, year: int, version: int) -> dict[str, Any]:
    """What the office signs for another rendering of the bulletin (the CSV): its sha256 only."""
    return {"format": f"{FORMAT}.{kind}", "year": year, "version": version,
            "file_sha256": hashlib.sha256(data).hexdigest()}


def signing_input(signed: dict[str, Any]) -> bytes:
    return canonical_json(signed).encode("utf-8")


def signature_document(signed: dict[str, Any], public_key: bytes, signature: bytes) -> dict[str, Any]:
    return {"format": SIGNATURE_FORMAT, "signature_version": SIGNATURE_VERSION, "algorithm": ALGORITHM,
            "key_id": key_id(public_key), "public_key": base64.b64encode(public_key).decode("ascii"),
            "signed": signed, "signature": base64.b64encode(signature).decode("ascii")}


# ── verification ─────────────────────────────────────────────────────────────────────────────────────────────────

SIG = "签名"


def _dept_part(dept: dict[str, Any]) -> str:
    return f"部门 {dept.get('code')} {dept.get('name', '')}".rstrip()


def check_signature(data: bytes, document: dict[str, Any] | None, sig: Any, pinned: bytes | None,
                    report: Report) -> dict[str, Any] | None:
    """Check the detached signature; return the signed manifest when the signature is valid."""
    if not isinstance(sig, dict) or sig.get("format") != SIGNATURE_FORMAT or sig.get("algorithm") != ALGORITHM:
        report.findings.append(Finding(SIG, "签名文件不是 pingyi 公告的 Ed25519 签名。"))
        return None
    named = _b64(str(sig.get("public_key", "")))
    signature = _b64(str(sig.get("signature", "")))
    signed = sig.get("signed")
    if named is None or len(named) != 32 or signature is None or not isinstance(signed, dict):
        report.findings.append(Finding(SIG, "签名文件残缺（公钥、签名或签名内容缺失）。"))
        return None
    key = pinned if pinned is not None else named
    report.key_id, report.key_pinned = key_id(key), pinned is not None
    if pinned is not None and key_id(named) != key_id(pinned):
        report.findings.append(Finding(SIG, f"签名文件注明的密钥 {key_id(named)} 不是你给出的密钥 {key_id(pinned)}。"))
    if not ed25519.verify(key, signing_input(signed), signature):
        report.findings.append(Finding(SIG, f"签名无效：签名或签名内容被改动，或不是密钥 {key_id(key)} 所签。"))
        return None
    report.signature_valid = True
    if signed.get("file_sha256") == hashlib.sha256(data).hexdigest():
        return signed
    if document is None or "parts" not in signed:
        report.findings.append(Finding(SIG, "文件内容与签名不符（文件被改动）。"))
        return signed
    expected, actual = signed["parts"], parts(document)
    changed = False
    for name in sorted(set(expected) | set(actual)):
        label = _part_label(name, document)
        if name not in actual:
            report.findings.append(Finding(SIG, f"{label}被删除（签名时存在）。"))
        elif name not in expected:
            report.findings.append(Finding(SIG, f"{label}是签名后添加的。"))
        elif expected[name] != actual[name]:
            report.findings.append(Finding(SIG, f"{label}被改动（与签名时不同）。"))
        else:
            continue
        changed = True
    if not changed:
        report.notes.append("文件字节与签名时不同（例如重新排版），但各部分内容与签名一致。")
    return signed


def _part_label(name: str, document: dict[str, Any]) -> str:
    if name == "header":
        return "公告头部（年度、版本、摘要、规则、问卷、发卡统计等）"
    if name == "receipts":
        return "回执码列表"
    code = name.partition(":")[2]
    for dept in document.get("departments") or []:
        if isinstance(dept, dict) and dept.get("code") == code:
            return f"部门 {code} {dept.get('name', '')}".rstrip()
    return f"部门 {code}"


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def check_document(document: Any, report: Report, receipt: str | None = None) -> None:
    """Recompute everything the bulletin publishes from the bulletin alone and report each mismatch by name."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        report.findings.append(Finding("格式", "这不是 pingyi 评议公告文件（format 不是 pingyi.bulletin）。"))
        return
    if document.get("schema_version") != SCHEMA_VERSION:
        report.findings.append(Finding("格式", f"公告格式版本 {document.get('schema_version')!r} 本程序不认识"
                                               f"（认识版本 {SCHEMA_VERSION}）。"))
        return
    try:
        _check(document, report, receipt)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        report.findings.append(Finding("格式", f"公告文件结构残缺或类型不对（{type(exc).__name__}: {exc}）。"))


def _check(doc: dict[str, Any], report: Report, receipt: str | None) -> None:
    k = doc["k"]
    if not isinstance(k, int) or k < 1:
        report.findings.append(Finding("规则", f"小样本阈值 k = {k!r} 不是正整数。"))
        return
    if doc["rules"] != scoring_rules(k):
        report.findings.append(Finding("规则", "公告声明的计分规则与本程序按 SPEC §2 执行的规则不同，"
                                               "请对照 rules 字段。"))
    questionnaire = doc["questionnaire"]
    if questionnaire_fingerprint(questionnaire) != doc["questionnaire_fingerprint"]:
        report.findings.append(Finding("问卷", "问卷指纹与公告所附问卷不符。"))
    items = sum(len(aspect["items"]) for aspect in questionnaire["aspects"])
    points = {str(answer["points"]) for answer in questionnaire["answers"]}

    receipts = doc["receipts"]
    turnout = doc["turnout"]
    _check_receipts(receipts, turnout, report)
    if receipt is not None:
        report.receipt_listed = receipt.strip().upper() in set(receipts)
        if not report.receipt_listed:
            report.findings.append(Finding("回执码", f"你的回执码 {receipt.strip().upper()} 不在公告中。"))

    _check_departments(doc["departments"], k, items, points, report)


def _check_departments(departments: list[Any], k: int, items: int | None, points: set[str],
                       report: Report) -> None:
    """Every department's counts, sections, score, grade and rank, recomputed by `pingyi.core.scoring`. `items`
    is None when the file does not carry the questionnaire (the CSV): the sections must then be of one length."""
    if items is None:
        lengths = sorted({len(s) for d in departments for s in (d.get("sections") or []) if isinstance(s, str)})
        if len(lengths) > 1:
            report.findings.append(Finding("评议", f"逐份评议的题数不一致（{'、'.join(map(str, lengths))} 道）。"))
        items = lengths[0] if len(lengths) == 1 else None
    seen: set[str] = set()
    tallies = []
    for dept in departments:
        part = _dept_part(dept)
        code = dept["code"]
        if code in seen:
            report.findings.append(Finding(part, "部门代码重复出现。"))
            continue
        seen.add(code)
        count, total, substantiated = dept["section_count"], dept["section_sum"], dept["substantiated"]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (count, total, substantiated)):
            report.findings.append(Finding(part, "份数、总分、属实投诉数必须是非负整数。"))
            continue
        if dept["small_cell"] != (count < k):
            report.findings.append(Finding(part, f"小样本标记与份数不符（{count} 份，k = {k}）。"))
        sections = dept.get("sections")
        if count >= k:
            if sections is None:
                report.findings.append(Finding(part, f"有 {count} 份评议（不少于 k = {k}），却未公布逐份评议。"))
            elif items is not None:
                _check_sections(part, sections, count, total, items, points, report)
        elif sections is not None:
            report.findings.append(Finding(part, f"少于 k = {k} 份，却公布了逐份评议（违反小样本保护）。"))
        if count == 0 and total != 0:
            report.findings.append(Finding(part, f"没有评议却有总分 {total}。"))
            continue
        if count and items is not None and total > count * items * max(int(p) for p in points):
            report.findings.append(Finding(part, f"总分 {total} 超过 {count} 份评议的满分。"))
            continue
        tallies.append(scoring.DepartmentTally(code, dept["name"], count, total, substantiated))

    by_code = {d["code"]: d for d in departments}
    expected = scoring.score_campaign(tallies, k=k)
    for r in expected:
        dept = by_code[r.code]
        part = _dept_part(dept)
        published = _decimal(dept["published"])
        if published != r.published or (published is not None and dept["published"] != f"{r.published:f}"):
            want = "未获评议（无分数）" if r.published is None else f"{r.published:f}"
            report.findings.append(Finding(part, f"公布得分 {dept['published']}，按公告数据重新计算应为 {want}"
                                                 f"（{r.section_count} 份合计 {r.section_sum} 分，属实投诉 "
                                                 f"{r.substantiated} 件）。"))
        if dept["grade"] != r.grade if "grade" in dept else dept.get("grade_label") != r.status_label:
            report.findings.append(Finding(part, f"公布等级 {dept.get('grade_label')}，"
                                                 f"按公布得分应为 {r.status_label}。"))
        elif dept.get("grade_label") != r.status_label:
            report.findings.append(Finding(part, f"等级名称 {dept.get('grade_label')} 应为 {r.status_label}。"))
        if dept["rank"] != r.rank:
            want = "不排名" if r.rank is None else f"第 {r.rank} 名"
            report.findings.append(Finding(part, f"公布名次 {dept['rank']}，按各部门公布得分应为{want}。"))
    order = [d["code"] for d in departments if d["code"] in {t.code for t in tallies}]
    if order != [r.code for r in expected] and len(order) == len(set(order)):
        report.findings.append(Finding("排名", "部门的排列顺序与名次不符（应按得分从高到低，同分按部门代码）。"))


def _check_receipts(receipts: list[Any], turnout: dict[str, Any], report: Report) -> None:
    part = "回执码"
    bad = [r for r in receipts if not isinstance(r, str) or not RECEIPT_RE.match(r)]
    if bad:
        report.findings.append(Finding(part, f"格式不对的回执码：{', '.join(map(str, bad[:5]))}"))
    if len(set(map(str, receipts))) != len(receipts):
        report.findings.append(Finding(part, "有重复的回执码。"))
    if receipts != sorted(receipts, key=str):
        report.findings.append(Finding(part, "回执码未按顺序排列（公告按字母顺序列出，顺序不得透露提交先后）。"))
    issued, used, ballots = turnout["cards_issued"], turnout["cards_used"], turnout["ballots"]
    if len(receipts) != ballots:
        report.findings.append(Finding(part, f"公告列出 {len(receipts)} 个回执码，但收到评议 {ballots} 份。"))
    if used != ballots:
        report.findings.append(Finding("发卡统计", f"已用评议卡 {used} 张，与评议 {ballots} 份不符。"))
    if used > issued:
        report.findings.append(Finding("发卡统计", f"已用评议卡 {used} 张，多于发出的 {issued} 张。"))


def _check_sections(part: str, sections: Any, count: int, total: int, items: int, points: set[str],
                    report: Report) -> None:
    if not isinstance(sections, list):
        report.findings.append(Finding(part, "逐份评议不是列表。"))
        return
    if len(sections) != count:
        report.findings.append(Finding(part, f"公布 {count} 份评议，逐份评议却列出 {len(sections)} 份。"))
    bad = [s for s in sections if not isinstance(s, str) or len(s) != items or set(s) - points]
    for s in bad[:3]:
        allowed = "、".join(sorted(points))
        report.findings.append(Finding(part, f"评议 “{s}” 不是 {items} 道题各一位得分（可取 {allowed}）。"))
    good_sum = sum(sum(int(c) for c in s) for s in sections if s not in bad)
    if not bad and good_sum != total:
        report.findings.append(Finding(part, f"逐份评议合计 {good_sum} 分，与公布的总分 {total} 分不符。"))


def verify(data: bytes, signature: bytes | None, pinned_key: bytes | None = None,
           receipt: str | None = None) -> Report:
    """Check a bulletin file (and its detached signature, when given) from the bytes alone."""
    report = Report()
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"公告文件不是 UTF-8 JSON：{exc}") from None
    if signature is None:
        report.findings.append(Finding(SIG, "没有签名文件：无法确认公告出自评议办公室。"))
    else:
        try:
            sig = json.loads(signature.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            sig = None
        check_signature(data, document if isinstance(document, dict) else None, sig, pinned_key, report)
    check_document(document, report, receipt)
    return report


def verify_file_signature(data: bytes, signature: bytes, pinned_key: bytes | None = None) -> Report:
    """Check the signature of another rendering (the CSV): its bytes must be exactly those signed."""
    report = Report()
    try:
        sig = json.loads(signature.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        sig = None
    check_signature(data, None, sig, pinned_key, report)
    return report


# ── the CSV rendering (publication/bulletin.py `to_csv`): read back and recomputed like the JSON ──────────────────

_HEADER_INTS = {"年度": "year", "版本": "version", "小样本阈值 k": "k", "发出评议卡": "cards_issued",
                "已用评议卡": "cards_used", "评议份数": "ballots", "回执码个数": "receipt_count"}
_HEADER_TEXTS = {"标题": "title", "结果摘要": "digest", "公布时间": "published_at",
                 "问卷指纹": "questionnaire_fingerprint"}
_DEPT_INTS = {"评议份数": "section_count", "总分": "section_sum", "属实投诉": "substantiated"}
TABLE_COLUMNS = ["类型", "部门代码", "部门名称", "项目", "值"]


def table_document(data: bytes) -> dict[str, Any]:
    """The CSV bulletin as the parts of a bulletin document it carries (no questionnaire or rules: those are in
    the JSON). Raises InvalidInput naming the row when it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"CSV 公告不是 UTF-8 文本：{exc}") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] != TABLE_COLUMNS:
        raise InvalidInput(f"这不是 pingyi 评议公告 CSV：第 1 行应为 {','.join(TABLE_COLUMNS)}。")
    doc: dict[str, Any] = {"receipts": [], "departments": []}
    depts: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != 5:
            raise InvalidInput(f"CSV 公告第 {n} 行应有 5 列，实有 {len(row)} 列。")
        kind, code, name, label, value = row
        try:
            if kind == "公告":
                if label in _HEADER_INTS:
                    doc[_HEADER_INTS[label]] = int(value)
                else:
                    doc[_HEADER_TEXTS.get(label, label)] = value
            elif kind == "部门":
                dept = depts.get(code)
                if dept is None:
                    dept = depts[code] = {"code": code, "name": name, "sections": None}
                    doc["departments"].append(dept)
                if label in _DEPT_INTS:
                    dept[_DEPT_INTS[label]] = int(value)
                elif label == "公布得分":
                    dept["published"] = None if value == "未获评议" else value
                elif label == "等级":
                    dept["grade_label"] = value
                elif label == "名次":
                    dept["rank"] = None if value == "—" else int(value)
                elif label == "小样本保护":
                    dept["small_cell"] = {"是": True, "否": False}[value]
                else:
                    raise ValueError(label)
            elif kind == "评议":
                if code not in depts:
                    raise ValueError(code)
                depts[code]["sections"] = (depts[code]["sections"] or []) + [value]
            elif kind == "回执码":
                doc["receipts"].append(value)
            else:
                raise ValueError(kind)
        except (ValueError, KeyError):
            raise InvalidInput(f"CSV 公告第 {n} 行（{kind} {code} {label}）无法读取：{value!r}。") from None
    return doc


def verify_table(data: bytes, signature: bytes | None, pinned_key: bytes | None = None,
                 receipt: str | None = None) -> tuple[Report, dict[str, Any]]:
    """Check the CSV bulletin: its signature (over its exact bytes), then every count, score, grade and rank
    recomputed from the CSV alone, as for the JSON (which alone also carries the questionnaire and the rules)."""
    document = table_document(data)
    report = verify_file_signature(data, signature, pinned_key) if signature is not None else Report(
        findings=[Finding(SIG, "没有签名文件：无法确认公告出自评议办公室。")])
    try:
        k = document["k"]
        turnout = {key: document[key] for key in ("cards_issued", "cards_used", "ballots")}
        if document["receipt_count"] != len(document["receipts"]):
            report.findings.append(Finding("回执码", f"公告写明回执码 {document['receipt_count']} 个，"
                                                    f"实际列出 {len(document['receipts'])} 个。"))
        _check_receipts(document["receipts"], turnout, report)
        if receipt is not None:
            report.receipt_listed = receipt.strip().upper() in set(document["receipts"])
            if not report.receipt_listed:
                report.findings.append(Finding("回执码", f"你的回执码 {receipt.strip().upper()} 不在公告中。"))
        if not isinstance(k, int) or k < 1:
            report.findings.append(Finding("规则", f"小样本阈值 k = {k!r} 不是正整数。"))
        else:
            _check_departments(document["departments"], k, None, set("0123456789"), report)
    except (KeyError, TypeError, ValueError) as exc:
        report.findings.append(Finding("格式", f"CSV 公告缺少必要的行（{type(exc).__name__}: {exc}）。"))
    return report, document
