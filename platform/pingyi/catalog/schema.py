"""Adapter layer: the msgspec schemas of the data files in surveys/ (SPEC §2 questionnaire and departments, §4 rubric
and monthly rubric).

One Struct per table of a file, with the per-field rules as msgspec constraints. ``Meta(extra={"zh": {...}})``
carries the Chinese wording the error layer (errors.py) uses for that field; rules that span fields (unique ids,
totals, references) are checked in load.py after decoding.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from pingyi.core.rubric import RULES, SCORINGS

# msgspec applies a pattern with re.search; patterns end in \Z because $ also matches before a final newline.
CODE_PATTERN = r"^[A-Za-z0-9_-]{1,16}\Z"  # department codes, item ids, aspect keys
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}\Z"  # answer keys, scale keys, category keys
RUBRIC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}\Z"  # "1.6"
SORT_ORDER_PATTERN = r"^[+-]?[0-9]{1,9}\Z"
MAX_DEPARTMENT_NAME = 64
MAX_LABEL = 32
MAX_TEXT = 300
MAX_STANDARD = 1000
MAX_TITLE = 100

# Text is stripped before use; what remains must be non-empty (or may be empty, for optional text) and free of
# control characters. \s matches exactly what str.strip() removes.
_C = r"[^\x00-\x1f\x7f\s]"  # a visible character
_T = r"[^\x00-\x1f\x7f]"  # a character allowed inside text
TEXT_PATTERN = rf"^\s*{_C}(?:{_T}*{_C})?\s*\Z"
OPTIONAL_TEXT_PATTERN = rf"^\s*(?:{_C}(?:{_T}*{_C})?)?\s*\Z"

CODE_RULE = "只能用英文字母、数字、- 或 _，最多 16 个字符"
KEY_RULE = "只能用小写英文字母、数字和下划线，以字母开头"
RUBRIC_ID_RULE = "只能用英文字母、数字和 . - _，最多 16 个字符"


def _text(max_length: int, *, optional: bool = False) -> msgspec.Meta:
    return msgspec.Meta(max_length=max_length, pattern=OPTIONAL_TEXT_PATTERN if optional else TEXT_PATTERN,
                        extra={"zh": {"text": True}})


def _pattern(pattern: str, rule: str) -> msgspec.Meta:
    return msgspec.Meta(pattern=pattern, extra={"zh": {"rule": rule}})


Title = Annotated[str, _text(MAX_TITLE)]
Label = Annotated[str, _text(MAX_LABEL)]
Code = Annotated[str, _pattern(CODE_PATTERN, CODE_RULE)]
RubricId = Annotated[str, _pattern(RUBRIC_ID_PATTERN, RUBRIC_ID_RULE)]
Points = Annotated[int, msgspec.Meta(ge=1, le=100)]


class _Table(msgspec.Struct, forbid_unknown_fields=True):
    """A TOML table: misspelt keys are errors, not silently ignored (decoded, checked, then dropped)."""


# --------------------------------------------------------------------------------------------- questionnaire


class AnswerSpec(_Table):
    key: Annotated[str, _pattern(KEY_PATTERN, KEY_RULE + "，最多 32 个字符")]
    label: Label
    points: Annotated[int, msgspec.Meta(ge=0, le=9, extra={"zh": {"why": "（选票按每题一位数字保存）"}})]


class ItemSpec(_Table):
    id: Code
    text: Annotated[str, _text(MAX_TEXT)]


class AspectSpec(_Table):
    key: Code
    name: Label
    items: Annotated[list[ItemSpec], msgspec.Meta(min_length=1)]


class QuestionnaireFile(_Table):
    title: Title
    answers: Annotated[list[AnswerSpec], msgspec.Meta(min_length=1)]
    aspects: Annotated[list[AspectSpec], msgspec.Meta(min_length=1)]


# --------------------------------------------------------------------------------------------- departments


class DepartmentRow(msgspec.Struct, frozen=True):
    """One data row of departments.csv (cells already stripped; extra columns are not passed in)."""

    code: Annotated[str, msgspec.Meta(pattern=CODE_PATTERN, extra={"zh": {
        "empty": "缺少部门编号", "pattern": "部门编号 {value!r} " + CODE_RULE}})]
    name: Annotated[str, msgspec.Meta(max_length=MAX_DEPARTMENT_NAME, pattern=TEXT_PATTERN, extra={"zh": {
        "text": True, "empty": "缺少部门名称", "control": "部门名称含有控制字符",
        "too_long": "部门名称有 {length} 个字，最多 {max} 个字"}})]
    sort_order: Annotated[str, msgspec.Meta(pattern=SORT_ORDER_PATTERN, extra={"zh": {
        "empty": "缺少显示顺序", "pattern": "显示顺序 {value!r} 应为整数"}})]


# --------------------------------------------------------------------------------------------- monthly rubric


class RubricItemSpec(_Table):
    id: RubricId
    name: Annotated[str, _text(MAX_TEXT)]
    max: Points
    scoring: Annotated[Literal[SCORINGS], msgspec.Meta(extra={"zh": {  # type: ignore[valid-type]
        "choice": "计分方式 {value!r} 应为 " + " / ".join(SCORINGS) + " 之一"}})]
    rule: Annotated[Literal[RULES] | None, msgspec.Meta(extra={"zh": {  # type: ignore[valid-type]
        "choice": "未知的算法 {value!r}，应为 " + " / ".join(RULES) + " 之一"}})] = None
    standard: Annotated[str, _text(MAX_STANDARD, optional=True)] = ""


class CategorySpec(_Table):
    key: Annotated[str, _pattern(KEY_PATTERN, KEY_RULE)]
    id: RubricId
    name: Label
    max: Points
    items: Annotated[list[RubricItemSpec], msgspec.Meta(min_length=1)]


class RubricFile(_Table):
    title: Title
    categories: Annotated[list[CategorySpec], msgspec.Meta(min_length=1)]
