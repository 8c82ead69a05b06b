"""Unit tests for pingyi.catalog.errors (SPEC §2, §4): msgspec's decoding errors become whole Chinese messages
naming file, field (in the ``aspects[2].items[3].id`` notation) and problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest

from pingyi.catalog import DEPARTMENTS_FILE, QUESTIONNAIRE_FILE, RUBRIC_FILE, load_catalog
from pingyi.catalog.errors import explain
from pingyi.catalog.schema import QuestionnaireFile
from pingyi.core.errors import DataFileError

SURVEYS = Path(__file__).resolve().parents[2] / "surveys"
Q, D, R = QUESTIONNAIRE_FILE, DEPARTMENTS_FILE, RUBRIC_FILE
TITLE = 'title = "外来投资企业民主评议窗口服务部门定性评议表"'


@pytest.fixture()
def surveys(tmp_path: Path) -> Path:
    for name in (Q, D, R):
        shutil.copy(SURVEYS / name, tmp_path / name)
    return tmp_path


MESSAGES = [
    # (file, old text, new text, the whole message)
    pytest.param(Q, "points = 5", "points = 5\nbonus = 1",
                 f"{Q}: answers[0].bonus: 未知字段（可用字段：key, label, points），是否拼错了？", id="unknown key"),
    pytest.param(Q, TITLE, TITLE + "\n[extra]\nx = 1",
                 f"{Q}: extra: 未知字段（可用字段：answers, aspects, title），是否拼错了？", id="unknown table"),
    pytest.param(Q, 'id = "C4"', "id = 4", f"{Q}: aspects[2].items[3].id: 应为文本，实际为整数 4", id="wrong type"),
    pytest.param(Q, 'id = "C4"', 'id = "C 4"',
                 f"{Q}: aspects[2].items[3].id: 'C 4' 格式不对：只能用英文字母、数字、- 或 _，最多 16 个字符",
                 id="pattern"),
    pytest.param(Q, 'id = "C4"', 'id = "C4\\n"',
                 f"{Q}: aspects[2].items[3].id: 'C4\\n' 格式不对：只能用英文字母、数字、- 或 _，最多 16 个字符",
                 id="pattern rejects a final newline"),
    pytest.param(Q, TITLE, 'title = "' + "长" * 101 + '"', f"{Q}: title: 有 101 个字，最多 100 个字", id="too long"),
    pytest.param(Q, TITLE, 'title = "评议\\t表"', f"{Q}: title: 含有控制字符（换行、制表符等）",
                 id="control character"),
    pytest.param(R, 'scoring = "bonus"', "scoring = 3", f"{R}: categories[2].items[0].scoring: 应为文本，实际为整数 3",
                 id="literal wrong type"),
    pytest.param(R, "max = 30\nscoring", "max = 101\nscoring",
                 f"{R}: categories[2].items[0].max: 101 超出范围：应为 1–100 的整数", id="range"),
    pytest.param(D, "县建设局", "县\x01建设局", f"{D}: 第 8 行 name: 部门名称含有控制字符", id="csv control character"),
    pytest.param(D, ",50\n", ",\n", f"{D}: 第 8 行 sort_order: 缺少显示顺序", id="csv empty cell"),
]


@pytest.mark.parametrize("filename, old, new, message", MESSAGES)
def test_decoding_error_message(surveys: Path, filename, old, new, message):
    text = (surveys / filename).read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {filename}"
    (surveys / filename).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_catalog(surveys)
    assert info.value.message == message


def test_explain_reads_msgspec_path_and_kind():
    """The layer itself: msgspec's English message + path become (field, Chinese problem)."""
    data = {"title": "t", "answers": [{"key": "ok", "label": "好", "points": 12}], "aspects": []}
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.convert(data, QuestionnaireFile)
    assert "$.answers[0].points" in str(info.value)  # what msgspec says …
    assert explain(str(info.value), QuestionnaireFile, data) == (  # … and what the office reads
        "answers[0].points", "12 超出范围：应为 0–9 的整数（选票按每题一位数字保存）")
    assert explain("Object missing required field `aspects`", QuestionnaireFile, {}) == ("aspects", "缺少必填字段")
