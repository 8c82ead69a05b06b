"""Core layer: validation of one submitted annual ballot into department sections (SPEC §2, §3).

A section is stored as a compact string of the points per item, one character per item in questionnaire item
order ("5530…", 20 characters), so the database can aggregate per item with SUBSTR and sum the totals. This needs
every answer's points to be a single digit (0–9); `check_questionnaire` enforces it.

A department the evaluator picked (listed in `answers`, or in `picked`: the form's chosen departments) is a
section: it must be complete. "Absent" means not picked; a picked department left unanswered is refused by name,
never dropped, so a card is not spent on a ballot that silently lost a department (issue 7).

Decisions (SPEC is silent):
- an answer value that is empty or only whitespace counts as "not answered" (a form's blank choice);
- an opinion for a department that has no answered item is refused: the evaluator either rates the department
  or clears the opinion (an opinion about a department it did not deal with cannot be weighed);
- opinions are stripped, CR LF becomes LF, and the length is counted in characters after that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pingyi.core.errors import InvalidInput
from pingyi.core.survey import Questionnaire

DEFAULT_MAX_OPINION_CHARS = 1000
MAX_ASPECTS = 8  # the section table keeps one subtotal column per aspect (SPEC §2 uses 5)


@dataclass(frozen=True)
class SectionDraft:
    """One complete department section, ready to store. `answers` holds one points digit per item."""

    department_code: str
    answers: str
    total: int
    opinion: str


def check_questionnaire(questionnaire: Questionnaire) -> None:
    """Refuse a questionnaire that cannot be stored as one digit per item (points outside 0–9, no items,
    duplicate item ids or answer keys)."""
    problems: list[str] = []
    if not questionnaire.items:
        problems.append("问卷没有任何评议项目。")
    if not questionnaire.answers:
        problems.append("问卷没有任何答案选项。")
    ids = questionnaire.item_ids
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"评议项目编号重复：{'、'.join(duplicates)}。")
    keys = [a.key for a in questionnaire.answers]
    dup_keys = sorted({k for k in keys if keys.count(k) > 1})
    if dup_keys:
        problems.append(f"答案选项重复：{'、'.join(dup_keys)}。")
    for a in questionnaire.answers:
        if not isinstance(a.points, int) or isinstance(a.points, bool) or not 0 <= a.points <= 9:
            problems.append(f"答案选项“{a.label}”的分值 {a.points!r} 必须是 0 到 9 的整数。")
    if len(questionnaire.aspects) > MAX_ASPECTS:
        problems.append(f"评议方面最多 {MAX_ASPECTS} 个，现有 {len(questionnaire.aspects)} 个。")
    if problems:
        raise InvalidInput("问卷定义有误：" + "".join(problems), {"problems": problems})


def aspect_totals(questionnaire: Questionnaire, answers: str) -> list[int]:
    """Points per aspect of one stored section, in questionnaire order (stored beside the answers so a
    snapshot's aspect breakdown is one GROUP BY of integer sums)."""
    points = item_points(answers)
    totals, pos = [], 0
    for aspect in questionnaire.aspects:
        totals.append(sum(points[pos:pos + len(aspect.items)]))
        pos += len(aspect.items)
    return totals


def item_points(answers: str) -> list[int]:
    """The points per item of a stored section string ("5530" → [5, 5, 3, 0])."""
    if not all(ch in "0123456789" for ch in answers):
        raise InvalidInput("评议记录格式不正确：每项应为一位数字分值。", {"answers": answers})
    return [int(ch) for ch in answers]


def section_total(answers: str) -> int:
    return sum(item_points(answers))


def _clean_opinion(text: object) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise InvalidInput("意见必须是文字。")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _is_answered(value: object) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def answered_count(questionnaire: Questionnaire, section: Mapping[str, object]) -> int:
    """How many of the questionnaire's items `section` (item id → answer key) answers with a known choice: the
    "已答 n / 20" a ballot page shows beside each picked department."""
    keys = {a.key for a in questionnaire.answers}
    return sum(1 for item in questionnaire.item_ids if isinstance(v := section.get(item), str) and v in keys)


def picked_departments(answers: Mapping[str, object], picked: Iterable[str] = ()) -> set[str]:
    """The departments a ballot rates: every one listed in `answers` (even with no answer) and every one picked."""
    return set(answers) | set(picked)


def validate_ballot(
    questionnaire: Questionnaire,
    allowed_departments: Mapping[str, str],
    answers: Mapping[str, Mapping[str, str]],
    opinions: Mapping[str, str] | None = None,
    max_opinion_chars: int = DEFAULT_MAX_OPINION_CHARS,
    picked: Iterable[str] = (),
) -> list[SectionDraft]:
    """Turn a submitted ballot into complete sections, or raise one InvalidInput listing every problem.

    `allowed_departments` maps department code → name (the campaign's evaluated departments);
    `answers` maps department code → {item id → answer key}; `opinions` maps department code → free text;
    `picked` names departments chosen without any answer yet (the form's hidden list). Every department listed
    in `answers` or `picked` must be complete: one with no answer is refused as "unanswered", one with some as
    "partial". A department not listed at all is absent ("未办理过业务"). Sections come back ordered by code.
    """
    check_questionnaire(questionnaire)
    opinions = dict(opinions or {})
    if not isinstance(answers, Mapping) or not all(isinstance(v, Mapping) for v in answers.values()):
        raise InvalidInput("评议内容格式不正确。")

    item_ids = questionnaire.item_ids
    known_items = set(item_ids)
    points_of = {a.key: a.points for a in questionnaire.answers}
    messages: list[str] = []
    details: dict[str, Any] = {}

    def name_of(code: str) -> str:
        return allowed_departments.get(code, code)

    chosen = list(picked)
    if not all(isinstance(c, str) for c in chosen):
        raise InvalidInput("评议内容格式不正确。")
    rated = picked_departments(answers, chosen)
    unknown_depts = sorted(c for c in rated | set(opinions) if c not in allowed_departments)
    if unknown_depts:
        messages.append(f"以下部门不在本次评议范围内：{'、'.join(unknown_depts)}。")
        details["unknown_departments"] = unknown_depts

    drafts: list[SectionDraft] = []
    unanswered: list[str] = []
    for code in sorted(c for c in rated if c in allowed_departments):
        given = {str(i): v for i, v in answers.get(code, {}).items() if _is_answered(v)}
        if not given:
            messages.append(f"{name_of(code)}：{len(item_ids)} 项均未作答。")
            unanswered.append(code)
            continue
        bad_items = sorted(i for i in given if i not in known_items)
        bad_answers = {i: str(v) for i, v in given.items() if i in known_items
                       and (not isinstance(v, str) or v not in points_of)}
        missing = [i for i in item_ids if i not in given]
        if bad_items:
            messages.append(f"{name_of(code)}：问卷中没有这些项目（{'、'.join(bad_items)}）。")
            details.setdefault("unknown_items", {})[code] = bad_items
        if bad_answers:
            shown = "、".join(f"{i}={v}" for i, v in sorted(bad_answers.items()))
            messages.append(f"{name_of(code)}：答案无效（{shown}），只能选 "
                            + "、".join(a.label for a in questionnaire.answers) + "。")
            details.setdefault("unknown_answers", {})[code] = bad_answers
        if missing:
            messages.append(f"{name_of(code)}：还有 {len(missing)} 项未作答（{'、'.join(missing)}）。")
            details.setdefault("partial", {})[code] = missing
        if bad_items or bad_answers or missing:
            continue
        digits = "".join(str(points_of[given[i]]) for i in item_ids)
        drafts.append(SectionDraft(code, digits, sum(map(int, digits)), ""))

    if unanswered:
        details["unanswered"] = unanswered
    if unanswered or "partial" in details:
        messages.append(f"每个已选的部门要么 {len(item_ids)} 项全部作答，"
                        "要么移除该部门（未办理过业务的部门不必评议）。")
    attempted = {c for c in answers if c in allowed_departments
                 and any(_is_answered(v) for v in answers[c].values())}
    cleaned: dict[str, str] = {}
    for code in sorted(c for c in opinions if c in allowed_departments):
        text = _clean_opinion(opinions[code])
        if not text:
            continue
        if len(text) > max_opinion_chars:
            messages.append(f"{name_of(code)}：意见共 {len(text)} 字，超过 {max_opinion_chars} 字的上限，请精简。")
            details.setdefault("opinion_too_long", {})[code] = len(text)
        if code not in attempted and code not in unanswered:
            messages.append(f"{name_of(code)}：填写了意见但没有评议。"
                            f"请对该部门 {len(item_ids)} 项全部作答，或清空该意见。")
            details.setdefault("opinion_without_answers", []).append(code)
        cleaned[code] = text

    if not rated and not messages:
        messages.append("请至少评议一个办理过业务的部门。")
        details["no_sections"] = True
    if messages:
        raise InvalidInput("\n".join(messages), details)
    return [SectionDraft(d.department_code, d.answers, d.total, cleaned.get(d.department_code, ""))
            for d in drafts]
