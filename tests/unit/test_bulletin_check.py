"""The bulletin check (pingyi.core.bulletin_check, SPEC §3): a genuine bulletin verifies; each tampering fails with
a finding naming the part; the recomputation agrees with pingyi.core.scoring on .x5 rounding and ties."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pingyi.core import bulletin_check as bc
from pingyi.core import bulletin_verify, scoring

QUESTIONNAIRE = {"title": "问卷", "answers": [{"key": "satisfied", "label": "满意", "points": 5},
                                             {"key": "basically_satisfied", "label": "基本满意", "points": 3},
                                             {"key": "unsatisfied", "label": "不满意", "points": 0}],
                 "aspects": [{"key": "a", "name": "工作作风",
                              "items": [{"id": "A1", "text": "一"}, {"id": "A2", "text": "二"}]}]}
# two items per section here: a section is two digits, at most 10 points


def section(total: int) -> str:
    """A two-item section with the given total (0, 3, 5, 6, 8 or 10)."""
    return {0: "00", 3: "30", 5: "50", 6: "33", 8: "53", 10: "55"}[total]


def make(depts: dict[str, tuple[list[int], int]], k: int = 2, receipts: int = 3) -> dict[str, Any]:
    """A bulletin whose figures the platform's scoring computed: code → (section totals, substantiated)."""
    tallies = [scoring.tally_from_totals(code, f"部门{code}", totals, subst) for code, (totals, subst) in depts.items()]
    results = scoring.score_campaign(tallies, k=k)
    codes = [f"R-{i:04d}-AAAA-BBBB" for i in range(receipts)]
    return {
        "format": bc.FORMAT, "schema_version": bc.SCHEMA_VERSION, "year": 2025, "title": "测试", "version": 1,
        "digest": "d" * 64, "computed_at": "2025-12-20T00:00:00+00:00", "published_at": "2025-12-21T00:00:00+00:00",
        "audit_head": "3:abc", "publication_audit_head": "4:def", "k": k, "rules": bc.scoring_rules(k),
        "questionnaire_fingerprint": bc.questionnaire_fingerprint(QUESTIONNAIRE), "questionnaire": QUESTIONNAIRE,
        "turnout": {"cards_issued": receipts + 2, "cards_used": receipts, "ballots": receipts},
        "receipts": codes,
        "departments": [{"code": r.code, "name": r.name, "section_count": r.section_count,
                         "section_sum": r.section_sum, "substantiated": r.substantiated,
                         "published": None if r.published is None else f"{r.published:f}", "grade": r.grade,
                         "grade_label": r.status_label, "rank": r.rank, "small_cell": r.small_cell,
                         "sections": None if r.small_cell else [section(t) for t in depts[r.code][0]]}
                        for r in results],
    }


KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes_raw()


def sign(doc: dict[str, Any], key: Ed25519PrivateKey = KEY) -> tuple[bytes, bytes]:
    data = json.dumps(doc, ensure_ascii=False).encode()
    signed = bc.manifest(data, doc)
    signature = key.sign(bc.signing_input(signed))
    sig = bc.signature_document(signed, key.public_key().public_bytes_raw(), signature)
    return data, json.dumps(sig).encode()


BASE = {"D01": ([10, 10, 8], 0), "D02": ([10, 6], 1), "D03": ([8], 0), "D04": ([], 2), "D05": ([10, 6, 8], 0)}


def findings(report: bc.Report) -> str:
    return "\n".join(map(str, report.findings))


def test_a_genuine_bulletin_verifies_against_the_pinned_key() -> None:
    data, sig = sign(make(BASE))
    report = bc.verify(data, sig, PUBLIC, receipt="r-0001-aaaa-bbbb")
    assert report.findings == [] and report.signature_valid and report.receipt_listed
    assert report.exit_status == bc.EXIT_OK


def test_without_a_key_it_verifies_but_says_the_key_was_not_pinned() -> None:
    data, sig = sign(make(BASE))
    report = bc.verify(data, sig, None)
    assert report.findings == [] and report.exit_status == bc.EXIT_UNPINNED
    assert "没有用 --key" in "\n".join(bulletin_verify.render(report, data))


def _set_published(doc: dict[str, Any], code: str, value: str) -> None:
    next(d for d in doc["departments"] if d["code"] == code)["published"] = value


def _dept(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(d for d in doc["departments"] if d["code"] == code)


# (name, change to the document, texts every finding list must contain)
TAMPERING = [
    ("altered score", lambda d: _set_published(d, "D01", "99.00"), ["部门 D01", "公布得分 99.00", "应为 9.33"]),
    ("removed section", lambda d: _dept(d, "D05")["sections"].pop(), ["部门 D05", "逐份评议却列出 2 份"]),
    ("changed section digit", lambda d: _dept(d, "D05")["sections"].__setitem__(0, "53"),
     ["部门 D05", "逐份评议合计 22 分，与公布的总分 24 分不符"]),
    ("changed receipt", lambda d: d["receipts"].__setitem__(1, "R-0001-AAAA-CCCC"), ["回执码列表被改动"]),
    ("removed receipt", lambda d: d["receipts"].pop(), ["回执码", "列出 2 个回执码，但收到评议 3 份"]),
    ("removed department", lambda d: d["departments"].pop(0), ["部门 D01", "被删除"]),
    ("changed rank", lambda d: _dept(d, "D05").__setitem__("rank", 1), ["部门 D05", "公布名次 1"]),
    ("changed grade", lambda d: _dept(d, "D02").__setitem__("grade", "satisfied"), ["部门 D02", "公布等级"]),
    ("small cell revealed", lambda d: _dept(d, "D03").__setitem__("sections", ["53"]), ["部门 D03", "小样本保护"]),
    ("complaint dropped", lambda d: _dept(d, "D02").__setitem__("substantiated", 0), ["部门 D02", "应为 8.00"]),
    ("rules changed", lambda d: d["rules"].__setitem__("penalty_per_substantiated", 10), ["规则"]),
    ("turnout changed", lambda d: d["turnout"].__setitem__("cards_used", 9), ["发卡统计"]),
]


@pytest.mark.parametrize(("name", "change", "expected"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_a_change_after_signing_fails_naming_the_part(name, change, expected) -> None:
    """Signed genuine, changed afterwards: the signature names the changed part, the recomputation the figure."""
    doc = make(BASE)
    data, sig = sign(doc)
    changed = copy.deepcopy(doc)
    change(changed)
    report = bc.verify(json.dumps(changed, ensure_ascii=False).encode(), sig, PUBLIC)
    text = findings(report)
    assert report.exit_status == bc.EXIT_MISMATCH
    assert "签名：" in text  # the file differs from what was signed
    for needle in expected:
        assert needle in text, (name, text)


ONLY_THE_KEY = ("changed receipt", "removed department")  # consistent forgeries: only the signature shows them
FORGED = [t for t in TAMPERING if t[0] not in ONLY_THE_KEY]


@pytest.mark.parametrize(("name", "change", "expected"), FORGED, ids=[t[0] for t in FORGED])
def test_a_forger_who_re_signs_with_their_own_key_is_caught_by_the_pinned_key_and_the_figures(
        name, change, expected) -> None:
    """The forger changes the file and signs it with their own key: the pinned key refuses the signature, and the
    recomputation still names the figure (a consistent forgery — a changed receipt, a department left out — only the
    pinned key shows)."""
    doc = make(BASE)
    change(doc)
    data, sig = sign(doc, Ed25519PrivateKey.generate())
    text = findings(bc.verify(data, sig, PUBLIC))
    assert "不是你给出的密钥" in text and "签名无效" in text
    for needle in expected:
        assert needle in text, (name, text)


def test_an_altered_signature_fails() -> None:
    data, sig = sign(make(BASE))
    document = json.loads(sig)
    raw = bytearray(bc._b64(document["signature"]) or b"")
    raw[5] ^= 0x10
    document["signature"] = __import__("base64").b64encode(bytes(raw)).decode()
    report = bc.verify(data, json.dumps(document).encode(), PUBLIC)
    assert report.exit_status == bc.EXIT_MISMATCH and "签名无效" in findings(report)


def test_a_missing_signature_fails() -> None:
    data, _ = sign(make(BASE))
    assert "没有签名文件" in findings(bc.verify(data, None, PUBLIC))


def test_reformatted_but_identical_content_verifies_with_a_note() -> None:
    doc = make(BASE)
    _, sig = sign(doc)
    pretty = json.dumps(doc, ensure_ascii=False, indent=2).encode()
    report = bc.verify(pretty, sig, PUBLIC)
    assert report.findings == [] and report.notes


def test_your_receipt_missing_is_named() -> None:
    data, sig = sign(make(BASE))
    report = bc.verify(data, sig, PUBLIC, receipt="R-ZZZZ-ZZZZ-ZZZZ")
    assert report.receipt_listed is False and "R-ZZZZ-ZZZZ-ZZZZ 不在公告中" in findings(report)


def test_recomputation_agrees_with_scoring_on_half_up_ties_and_equal_scores() -> None:
    """84.995 → 85.00 (满意, not 84.99 基本满意): 200 sections summing 16,999 points. Equal scores share a rank
    (1, 2, 2, 4) and are listed by code. A bulletin claiming float rounding (84.99) is refused."""
    q_items = 20
    questionnaire = {**QUESTIONNAIRE, "aspects": [{"key": "a", "name": "x",
                                                   "items": [{"id": f"I{i}", "text": "t"} for i in range(q_items)]}]}
    # 16,999 over 200 sections of 20 items: 199 sections of 85 points and one of 84
    s85 = "5" * 17 + "000"
    s84 = "5" * 15 + "333" + "00"
    tallies = {"D01": [85] * 199 + [84], "D02": [90] * 5, "D03": [90] * 5, "D04": [60] * 5}
    results = {r.code: r for r in scoring.score_campaign(
        [scoring.tally_from_totals(c, c, t) for c, t in tallies.items()], k=5)}
    assert f"{results['D01'].published:f}" == "85.00" and results["D01"].grade == scoring.SATISFIED
    assert [results[c].rank for c in ("D02", "D03", "D01", "D04")] == [1, 1, 3, 4]
    sections = {"D01": [s85] * 199 + [s84], "D02": ["5" * 18 + "00"] * 5, "D03": ["5" * 18 + "00"] * 5,
                "D04": ["5" * 12 + "0" * 8] * 5}
    order = ["D02", "D03", "D01", "D04"]
    doc = make({}, k=5, receipts=200)
    doc.update(questionnaire=questionnaire, questionnaire_fingerprint=bc.questionnaire_fingerprint(questionnaire))
    doc["departments"] = [{"code": c, "name": c, "section_count": results[c].section_count,
                           "section_sum": results[c].section_sum, "substantiated": 0,
                           "published": f"{results[c].published:f}", "grade": results[c].grade,
                           "grade_label": results[c].status_label, "rank": results[c].rank, "small_cell": False,
                           "sections": sections[c]} for c in order]
    assert sum(sum(map(int, s)) for s in sections["D01"]) == 16999
    data, sig = sign(doc)
    assert bc.verify(data, sig, PUBLIC).findings == []
    wrong = copy.deepcopy(doc)
    wrong["departments"][2].update(published="84.99", grade=scoring.BASICALLY_SATISFIED, grade_label="基本满意")
    data, sig = sign(wrong)
    text = findings(bc.verify(data, sig, PUBLIC))
    assert "公布得分 84.99，按公告数据重新计算应为 85.00" in text and "应为 满意" in text
    tied = copy.deepcopy(doc)
    tied["departments"][0], tied["departments"][1] = tied["departments"][1], tied["departments"][0]
    data, sig = sign(tied)
    assert "排列顺序" in findings(bc.verify(data, sig, PUBLIC))


@pytest.mark.parametrize("text", [
    bc.format_public_key(PUBLIC), bc.format_public_key(PUBLIC).split()[1], PUBLIC.hex(),
    "-----BEGIN PUBLIC KEY-----\n" + __import__("base64").b64encode(bc.SPKI_PREFIX + PUBLIC).decode()
    + "\n-----END PUBLIC KEY-----\n"])
def test_public_key_forms(text: str) -> None:
    assert bc.parse_public_key(text) == PUBLIC


@pytest.mark.parametrize("text", ["", "abc", "pingyi-ed25519 !!!", "00" * 31])
def test_bad_public_keys_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(bc.InvalidInput, match="公钥"):
        bc.parse_public_key(text)


def test_not_a_bulletin() -> None:
    report = bc.verify(b'{"hello": 1}', None, PUBLIC)
    assert "不是 pingyi 评议公告文件" in findings(report)
    with pytest.raises(bc.InvalidInput):
        bc.verify(b"\xff\xfe", None, PUBLIC)
