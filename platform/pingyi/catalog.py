"""Adapter layer: loads and validates the data files in surveys/ (SPEC §2 questionnaire and departments, §4 monthly
rubric).

Standard library only (tomllib, csv). Every problem raises DataFileError(file, field, problem) naming the file,
the field (e.g. ``aspects[2].items[3].id``, indexes count from 0; CSV fields as ``第 5 行 code``, counting physical
lines from 1) and what is wrong, in Chinese. A file is validated completely before any result object is built, so
a broken file never half-loads; load_catalog loads all three files or none.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pingyi.core.errors import DataFileError
from pingyi.core.rubric import (
    COMPUTED,
    RULES,
    SCORINGS,
    Rubric,
    RubricCategory,
    RubricItem,
)
from pingyi.core.survey import Answer, Aspect, Department, Item, Questionnaire

QUESTIONNAIRE_FILE = "annual_questionnaire.toml"
DEPARTMENTS_FILE = "departments.csv"
RUBRIC_FILE = "monthly_rubric.toml"

QUESTIONNAIRE_TOTAL = 100  # SPEC §2: "测评实行100分制" — grade bands 85 / 70 assume it
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")  # department codes, item ids, aspect keys
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # answer keys, scale keys, category keys
RUBRIC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")  # "1.6"
SORT_ORDER_RE = re.compile(r"^[+-]?[0-9]{1,9}$")
MAX_DEPARTMENT_NAME = 64
MAX_LABEL = 32
MAX_TEXT = 300
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

_TYPE_NAMES = {str: "文本", int: "整数", list: "列表", dict: "表", bool: "真假值", float: "小数"}


@dataclass(frozen=True)
class Catalog:
    """Everything in surveys/: the annual questionnaire, the departments, the monthly rubric."""

    questionnaire: Questionnaire
    departments: tuple[Department, ...]
    rubric: Rubric


# --------------------------------------------------------------------------------------------- public API


def load_catalog(surveys_dir: Path | str) -> Catalog:
    """Load and validate the three files of `surveys_dir`; raises DataFileError at the first problem."""
    base = Path(surveys_dir)
    questionnaire = load_questionnaire(base / QUESTIONNAIRE_FILE)
    departments = load_departments(base / DEPARTMENTS_FILE)
    rubric = load_rubric(base / RUBRIC_FILE)
    return Catalog(questionnaire=questionnaire, departments=tuple(departments), rubric=rubric)


def load_questionnaire(path: Path | str) -> Questionnaire:
    """The annual questionnaire (SPEC §2): title, answers (key/label/points) and aspects with items."""
    v = _Checker(Path(path))
    data = v.toml()
    v.known_keys(data, "", {"title", "answers", "aspects"})
    title = v.text(data, "title", "")

    raw_answers = v.table_list(data, "answers", "")
    answers: list[tuple[str, str, int]] = []
    seen_keys: set[str] = set()
    seen_labels: set[str] = set()
    for i, raw in enumerate(raw_answers):
        where = f"answers[{i}]"
        v.known_keys(raw, where, {"key", "label", "points"})
        key = v.pattern(raw, "key", where, KEY_RE, "只能用小写英文字母、数字和下划线，以字母开头，最多 32 个字符")
        if key in seen_keys:
            v.fail(f"{where}.key", f"重复的答案 key {key}")
        label = v.text(raw, "label", where, MAX_LABEL)
        if label in seen_labels:
            v.fail(f"{where}.label", f"重复的答案文字 {label}")
        points = v.integer(raw, "points", where, 0, 9, "（选票按每题一位数字保存）")
        seen_keys.add(key)
        seen_labels.add(label)
        answers.append((key, label, points))

    raw_aspects = v.table_list(data, "aspects", "")
    aspects: list[tuple[str, str, list[tuple[str, str]]]] = []
    aspect_keys: set[str] = set()
    aspect_names: set[str] = set()
    item_ids: dict[str, str] = {}
    for i, raw in enumerate(raw_aspects):
        where = f"aspects[{i}]"
        v.known_keys(raw, where, {"key", "name", "items"})
        key = v.pattern(raw, "key", where, CODE_RE, "只能用英文字母、数字、- 或 _，最多 16 个字符")
        if key in aspect_keys:
            v.fail(f"{where}.key", f"重复的方面 key {key}")
        name = v.text(raw, "name", where, MAX_LABEL)
        if name in aspect_names:
            v.fail(f"{where}.name", f"重复的方面名称 {name}")
        aspect_keys.add(key)
        aspect_names.add(name)
        items: list[tuple[str, str]] = []
        for j, raw_item in enumerate(v.table_list(raw, "items", where)):
            iwhere = f"{where}.items[{j}]"
            v.known_keys(raw_item, iwhere, {"id", "text"})
            item_id = v.pattern(raw_item, "id", iwhere, CODE_RE, "只能用英文字母、数字、- 或 _，最多 16 个字符")
            if item_id in item_ids:
                v.fail(f"{iwhere}.id", f"重复的题目编号 {item_id}（{item_ids[item_id]} 已使用）")
            item_ids[item_id] = iwhere
            items.append((item_id, v.text(raw_item, "text", iwhere, MAX_TEXT)))
        aspects.append((key, name, items))

    total = len(item_ids) * max(p for _, _, p in answers)
    if total != QUESTIONNAIRE_TOTAL:
        v.fail("aspects", f"满分应为 {QUESTIONNAIRE_TOTAL} 分，现为 {len(item_ids)} 题 × "
                          f"{max(p for _, _, p in answers)} 分 = {total} 分")

    return Questionnaire(
        title=title,
        aspects=tuple(Aspect(key=k, name=n, items=tuple(Item(id=i, text=t) for i, t in its)) for k, n, its in aspects),
        answers=tuple(Answer(key=k, label=lb, points=p) for k, lb, p in answers),
    )


def load_departments(path: Path | str) -> list[Department]:
    """The evaluated departments from a CSV with columns code,name,sort_order (extra columns are ignored).

    Lines starting with # and empty lines are skipped; a UTF-8 byte order mark (Excel's "CSV UTF-8") is accepted.
    The result is ordered by sort_order, then by the file's order.
    """
    v = _Checker(Path(path))
    text = v.read_text()
    header: list[str] | None = None
    columns: dict[str, int] = {}
    rows: list[tuple[int, str, str, int]] = []  # sort_order, file position, code, name
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = [c.strip() for c in next(csv.reader([line], strict=True))]
        except (csv.Error, StopIteration) as exc:
            v.fail(f"第 {lineno} 行", f"CSV 格式错误：{exc}")
        if not any(cells):
            continue  # a row of empty cells (spreadsheets pad rows)
        if header is None:
            header = [c.lower() for c in cells]
            for name in ("code", "name", "sort_order"):
                if header.count(name) > 1:
                    v.fail(f"第 {lineno} 行（表头）", f"列 {name} 出现了 {header.count(name)} 次")
                if name not in header:
                    v.fail(f"第 {lineno} 行（表头）", f"缺少列 {name}（表头应为 code,name,sort_order）")
                columns[name] = header.index(name)
            continue
        if len(cells) < len(header):
            cells += [""] * (len(header) - len(cells))

        code = cells[columns["code"]]
        if not code:
            v.fail(f"第 {lineno} 行 code", "缺少部门编号")
        if not CODE_RE.fullmatch(code):
            v.fail(f"第 {lineno} 行 code", f"部门编号 {code!r} 只能用英文字母、数字、- 或 _，最多 16 个字符")
        if code.upper() in seen_codes:
            v.fail(f"第 {lineno} 行 code", f"重复的部门编号 {code}（第 {seen_codes[code.upper()]} 行已使用）")

        name = cells[columns["name"]]
        if not name:
            v.fail(f"第 {lineno} 行 name", "缺少部门名称")
        if len(name) > MAX_DEPARTMENT_NAME:
            v.fail(f"第 {lineno} 行 name", f"部门名称有 {len(name)} 个字，最多 {MAX_DEPARTMENT_NAME} 个字")
        if _CONTROL_RE.search(name):
            v.fail(f"第 {lineno} 行 name", "部门名称含有控制字符")
        if name in seen_names:
            v.fail(f"第 {lineno} 行 name", f"重复的部门名称 {name}（第 {seen_names[name]} 行已使用）")

        raw_order = cells[columns["sort_order"]]
        if not raw_order:
            v.fail(f"第 {lineno} 行 sort_order", "缺少显示顺序")
        if not SORT_ORDER_RE.fullmatch(raw_order):
            v.fail(f"第 {lineno} 行 sort_order", f"显示顺序 {raw_order!r} 应为整数")

        seen_codes[code.upper()] = lineno
        seen_names[name] = lineno
        rows.append((int(raw_order), len(rows), code, name))

    if header is None:
        v.fail("（表头）", "文件是空的：第一行应为表头 code,name,sort_order")
    if not rows:
        v.fail("（数据）", "至少需要一个部门")
    return [Department(code=code, name=name) for _, _, code, name in sorted(rows)]


def load_rubric(path: Path | str) -> Rubric:
    """The monthly window assessment rubric (SPEC §4, seed 篇1 附件): categories with items and maxima."""
    v = _Checker(Path(path))
    data = v.toml()
    v.known_keys(data, "", {"title", "categories"})
    title = v.text(data, "title", "")
    categories: list[tuple[str, str, str, int, list[RubricItem]]] = []
    cat_keys: set[str] = set()
    cat_ids: set[str] = set()
    item_ids: dict[str, str] = {}
    rules: dict[str, str] = {}
    for i, raw in enumerate(v.table_list(data, "categories", "")):
        where = f"categories[{i}]"
        v.known_keys(raw, where, {"key", "id", "name", "max", "items"})
        key = v.pattern(raw, "key", where, KEY_RE, "只能用小写英文字母、数字和下划线，以字母开头")
        if key in cat_keys:
            v.fail(f"{where}.key", f"重复的类别 key {key}")
        cat_id = v.pattern(raw, "id", where, RUBRIC_ID_RE, "只能用英文字母、数字和 . - _，最多 16 个字符")
        if cat_id in cat_ids:
            v.fail(f"{where}.id", f"重复的类别编号 {cat_id}")
        name = v.text(raw, "name", where, MAX_LABEL)
        cat_max = v.integer(raw, "max", where, 1, 100)
        cat_keys.add(key)
        cat_ids.add(cat_id)
        items: list[RubricItem] = []
        for j, raw_item in enumerate(v.table_list(raw, "items", where)):
            iwhere = f"{where}.items[{j}]"
            v.known_keys(raw_item, iwhere, {"id", "name", "max", "scoring", "rule", "standard"})
            item_id = v.pattern(raw_item, "id", iwhere, RUBRIC_ID_RE, "只能用英文字母、数字和 . - _，最多 16 个字符")
            if item_id in item_ids:
                v.fail(f"{iwhere}.id", f"重复的小项编号 {item_id}（{item_ids[item_id]} 已使用）")
            item_ids[item_id] = iwhere
            item_name = v.text(raw_item, "name", iwhere, MAX_TEXT)
            item_max = v.integer(raw_item, "max", iwhere, 1, 100)
            scoring = v.require(raw_item, "scoring", iwhere, str)
            if scoring not in SCORINGS:
                v.fail(f"{iwhere}.scoring", f"计分方式 {scoring!r} 应为 {' / '.join(SCORINGS)} 之一")
            rule: str | None = None
            if scoring == COMPUTED:
                rule = v.require(raw_item, "rule", iwhere, str)
                if rule not in RULES:
                    v.fail(f"{iwhere}.rule", f"未知的算法 {rule!r}，应为 {' / '.join(RULES)} 之一")
                if rule in rules:
                    v.fail(f"{iwhere}.rule", f"算法 {rule} 已由 {rules[rule]} 使用")
                rules[rule] = iwhere
            elif "rule" in raw_item:
                v.fail(f"{iwhere}.rule", "只有 scoring = \"computed\" 的小项才能填写 rule")
            standard = v.text(raw_item, "standard", iwhere, 1000, required=False)
            items.append(RubricItem(id=item_id, name=item_name, max_points=item_max, scoring=scoring, rule=rule,
                                    standard=standard, category=key))
        item_sum = sum(it.max_points for it in items)
        if item_sum != cat_max:
            v.fail(f"{where}.max", f"类别“{name}”满分 {cat_max} 分，但各小项满分之和为 {item_sum} 分")
        categories.append((key, cat_id, name, cat_max, items))
    return Rubric(
        title=title,
        categories=tuple(RubricCategory(key=k, id=cid, name=n, max_points=m, items=tuple(its))
                         for k, cid, n, m, its in categories),
    )


# --------------------------------------------------------------------------------------------- helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    return f"{kind} {value!r}" if not isinstance(value, (dict, list)) else kind


class _Checker:
    """Reads one file and raises DataFileError(file name, field, problem) for what is wrong in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def fail(self, field: str, problem: str) -> Any:
        raise DataFileError(self.name, field or "（文件）", problem)

    def read_text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self.fail("（文件）", f"文件不存在：{self.path}")
        except OSError as exc:
            self.fail("（文件）", f"无法读取 {self.path}：{exc.strerror or exc}")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return self.fail(f"第 {line} 行", "文件不是 UTF-8 编码（在 Excel / WPS 中请另存为“CSV UTF-8”）")

    def toml(self) -> dict[str, Any]:
        text = self.read_text()
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            field = f"第 {match.group(1)} 行" if match else "（语法）"
            return self.fail(field, f"TOML 语法错误：{exc}")

    @staticmethod
    def _join(where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def known_keys(self, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.fail(self._join(where, key), f"未知字段（可用字段：{', '.join(sorted(allowed))}），是否拼错了？")

    def require(self, table: dict[str, Any], key: str, where: str, kind: type) -> Any:
        field = self._join(where, key)
        if key not in table:
            self.fail(field, "缺少必填字段")
        value = table[key]
        ok = _is_int(value) if kind is int else isinstance(value, kind)
        if not ok:
            self.fail(field, f"应为{_TYPE_NAMES.get(kind, kind.__name__)}，实际为{_describe(value)}")
        return value

    def text(self, table: dict[str, Any], key: str, where: str, max_len: int = 100, required: bool = True) -> str:
        if not required and key not in table:
            return ""
        value = self.require(table, key, where, str).strip()
        field = self._join(where, key)
        if required and not value:
            self.fail(field, "不能为空")
        if len(value) > max_len:
            self.fail(field, f"有 {len(value)} 个字，最多 {max_len} 个字")
        if _CONTROL_RE.search(value):
            self.fail(field, "含有控制字符（换行、制表符等）")
        return value

    def pattern(self, table: dict[str, Any], key: str, where: str, regex: re.Pattern[str], rule: str) -> str:
        value = self.require(table, key, where, str)
        if not regex.fullmatch(value):
            self.fail(self._join(where, key), f"{value!r} 格式不对：{rule}")
        return value

    def integer(self, table: dict[str, Any], key: str, where: str, low: int, high: int, why: str = "") -> int:
        value = self.require(table, key, where, int)
        if not low <= value <= high:
            self.fail(self._join(where, key), f"{value} 超出范围：应为 {low}–{high} 的整数{why}")
        return value

    def table_list(self, table: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        field = self._join(where, key)
        if key not in table:
            self.fail(field, "缺少必填字段")
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            self.fail(field, f"应为表格列表（[[{field}]] 或 [{{...}}, ...]），实际为{_describe(value)}")
        if not value:
            self.fail(field, "至少需要一项")
        return value
