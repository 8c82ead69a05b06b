"""Adapter layer: loads the data files in surveys/ (SPEC §2 questionnaire and departments, §4 monthly
rubric) into core dataclasses.

Each file is decoded with msgspec into the schemas of schema.py (per-field rules); errors.py turns any problem into
DataFileError(file, field, problem) naming the file, the field (e.g. ``aspects[2].items[3].id``, indexes count from
0; CSV fields as ``第 5 行 code``, counting physical lines from 1) and what is wrong, in Chinese. The rules that
span fields (unique ids, the 100-point total, references between sections) are checked here, after decoding. A file
is validated completely before any result object is built, so a broken file never half-loads; load_catalog loads
all four files or none.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pingyi.catalog.errors import FileReader
from pingyi.catalog.schema import (
    DepartmentRow,
    QuestionnaireFile,
    RubricFile,
)
from pingyi.core.rubric import (
    COMPUTED,
    Rubric,
    RubricCategory,
    RubricItem,
)
from pingyi.core.survey import Answer, Aspect, Department, Item, Questionnaire

QUESTIONNAIRE_FILE = "annual_questionnaire.toml"
DEPARTMENTS_FILE = "departments.csv"
RUBRIC_FILE = "monthly_rubric.toml"

QUESTIONNAIRE_TOTAL = 100  # SPEC §2: "测评实行100分制" — grade bands 85 / 70 assume it
DEPARTMENT_COLUMNS = ("code", "name", "sort_order")


@dataclass(frozen=True)
class Catalog:
    """Everything in surveys/: the annual questionnaire, the departments, the monthly rubric."""

    questionnaire: Questionnaire
    departments: tuple[Department, ...]
    rubric: Rubric


def load_catalog(surveys_dir: Path | str) -> Catalog:
    """Load and validate the four files of `surveys_dir`; raises DataFileError at the first problem."""
    base = Path(surveys_dir)
    questionnaire = load_questionnaire(base / QUESTIONNAIRE_FILE)
    departments = load_departments(base / DEPARTMENTS_FILE)
    rubric = load_rubric(base / RUBRIC_FILE)
    return Catalog(questionnaire=questionnaire, departments=tuple(departments), rubric=rubric)


def load_questionnaire(path: Path | str) -> Questionnaire:
    """The annual questionnaire (SPEC §2): title, answers (key/label/points) and aspects with items."""
    f = FileReader(Path(path))
    doc = f.decode_toml(QuestionnaireFile)

    seen_keys: set[str] = set()
    seen_labels: set[str] = set()
    for i, answer in enumerate(doc.answers):
        label = answer.label.strip()
        if answer.key in seen_keys:
            f.fail(f"answers[{i}].key", f"重复的答案 key {answer.key}")
        if label in seen_labels:
            f.fail(f"answers[{i}].label", f"重复的答案文字 {label}")
        seen_keys.add(answer.key)
        seen_labels.add(label)

    aspect_keys: set[str] = set()
    aspect_names: set[str] = set()
    item_ids: dict[str, str] = {}
    for i, aspect in enumerate(doc.aspects):
        name = aspect.name.strip()
        if aspect.key in aspect_keys:
            f.fail(f"aspects[{i}].key", f"重复的方面 key {aspect.key}")
        if name in aspect_names:
            f.fail(f"aspects[{i}].name", f"重复的方面名称 {name}")
        aspect_keys.add(aspect.key)
        aspect_names.add(name)
        for j, item in enumerate(aspect.items):
            where = f"aspects[{i}].items[{j}]"
            if item.id in item_ids:
                f.fail(f"{where}.id", f"重复的题目编号 {item.id}（{item_ids[item.id]} 已使用）")
            item_ids[item.id] = where

    top = max(a.points for a in doc.answers)
    total = len(item_ids) * top
    if total != QUESTIONNAIRE_TOTAL:
        f.fail("aspects", f"满分应为 {QUESTIONNAIRE_TOTAL} 分，现为 {len(item_ids)} 题 × {top} 分 = {total} 分")

    return Questionnaire(
        title=doc.title.strip(),
        aspects=tuple(Aspect(key=a.key, name=a.name.strip(),
                             items=tuple(Item(id=it.id, text=it.text.strip()) for it in a.items))
                      for a in doc.aspects),
        answers=tuple(Answer(key=a.key, label=a.label.strip(), points=a.points) for a in doc.answers),
    )


def load_departments(path: Path | str) -> list[Department]:
    """The evaluated departments from a CSV with columns code,name,sort_order (extra columns are ignored).

    Lines starting with # and empty lines are skipped; a UTF-8 byte order mark (Excel's "CSV UTF-8") is accepted.
    The result is ordered by sort_order, then by the file's order.
    """
    f = FileReader(Path(path))
    text = f.read_text()
    columns: dict[str, int] | None = None
    rows: list[tuple[int, int, str, str]] = []  # sort_order, file position, code, name
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = [c.strip() for c in next(csv.reader([line], strict=True))]
        except (csv.Error, StopIteration) as exc:
            f.fail(f"第 {lineno} 行", f"CSV 格式错误：{exc}")
        if not any(cells):
            continue  # a row of empty cells (spreadsheets pad rows)
        if columns is None:
            columns = _header(f, lineno, [c.lower() for c in cells])
            continue
        cells += [""] * (max(columns.values()) + 1 - len(cells))
        row = f.convert({name: cells[index] for name, index in columns.items()}, DepartmentRow,
                        prefix=f"第 {lineno} 行", sep=" ")
        if row.code.upper() in seen_codes:
            f.fail(f"第 {lineno} 行 code", f"重复的部门编号 {row.code}（第 {seen_codes[row.code.upper()]} 行已使用）")
        if row.name in seen_names:
            f.fail(f"第 {lineno} 行 name", f"重复的部门名称 {row.name}（第 {seen_names[row.name]} 行已使用）")
        seen_codes[row.code.upper()] = lineno
        seen_names[row.name] = lineno
        rows.append((int(row.sort_order), len(rows), row.code, row.name))

    if columns is None:
        f.fail("（表头）", "文件是空的：第一行应为表头 code,name,sort_order")
    if not rows:
        f.fail("（数据）", "至少需要一个部门")
    return [Department(code=code, name=name) for _, _, code, name in sorted(rows)]


def _header(f: FileReader, lineno: int, header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for name in DEPARTMENT_COLUMNS:
        if header.count(name) > 1:
            f.fail(f"第 {lineno} 行（表头）", f"列 {name} 出现了 {header.count(name)} 次")
        if name not in header:
            f.fail(f"第 {lineno} 行（表头）", f"缺少列 {name}（表头应为 code,name,sort_order）")
        columns[name] = header.index(name)
    return columns


def load_rubric(path: Path | str) -> Rubric:
    """The monthly window assessment rubric (SPEC §4, seed 篇1 附件): categories with items and maxima."""
    f = FileReader(Path(path))
    doc = f.decode_toml(RubricFile)
    cat_keys: set[str] = set()
    cat_ids: set[str] = set()
    item_ids: dict[str, str] = {}
    rules: dict[str, str] = {}
    categories: list[RubricCategory] = []
    for i, cat in enumerate(doc.categories):
        where = f"categories[{i}]"
        if cat.key in cat_keys:
            f.fail(f"{where}.key", f"重复的类别 key {cat.key}")
        if cat.id in cat_ids:
            f.fail(f"{where}.id", f"重复的类别编号 {cat.id}")
        cat_keys.add(cat.key)
        cat_ids.add(cat.id)
        items: list[RubricItem] = []
        for j, it in enumerate(cat.items):
            iwhere = f"{where}.items[{j}]"
            if it.id in item_ids:
                f.fail(f"{iwhere}.id", f"重复的小项编号 {it.id}（{item_ids[it.id]} 已使用）")
            item_ids[it.id] = iwhere
            if it.scoring == COMPUTED:
                if it.rule is None:
                    f.fail(f"{iwhere}.rule", "缺少必填字段")
                if it.rule in rules:
                    f.fail(f"{iwhere}.rule", f"算法 {it.rule} 已由 {rules[it.rule]} 使用")
                rules[it.rule] = iwhere
            elif it.rule is not None:
                f.fail(f"{iwhere}.rule", "只有 scoring = \"computed\" 的小项才能填写 rule")
            items.append(RubricItem(id=it.id, name=it.name.strip(), max_points=it.max, scoring=it.scoring,
                                    rule=it.rule, standard=it.standard.strip(), category=cat.key))
        item_sum = sum(it.max_points for it in items)
        if item_sum != cat.max:
            f.fail(f"{where}.max", f"类别“{cat.name.strip()}”满分 {cat.max} 分，但各小项满分之和为 {item_sum} 分")
        categories.append(RubricCategory(key=cat.key, id=cat.id, name=cat.name.strip(), max_points=cat.max,
                                         items=tuple(items)))
    return Rubric(title=doc.title.strip(), categories=tuple(categories))
