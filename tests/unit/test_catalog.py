"""Unit tests for pingyi.catalog (SPEC §2, §4): the shipped surveys/ files load; broken files name file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pingyi.catalog import (
    DEPARTMENTS_FILE,
    QUESTIONNAIRE_FILE,
    RUBRIC_FILE,
    load_catalog,
    load_departments,
    load_questionnaire,
    load_rubric,
)
from pingyi.core.ballots import check_questionnaire
from pingyi.core.errors import DataFileError
from pingyi.core.rubric import RULE_ONLINE_PROCESSING, RULE_RATING_SATISFACTION

SURVEYS = Path(__file__).resolve().parents[2] / "surveys"

SEED_DEPARTMENTS = [
    "县招商局", "县发改委", "县经贸委", "县国土资源局", "县建设局", "县工商局", "县城管局", "县财政局", "县国税局",
    "县地税局", "县环保局", "县安监局", "县林业局", "县水利局", "县农业局", "县供电公司", "县交通局", "县公安局",
    "县交警大队", "县质监局", "县人事劳动和社会保障局",
]


# ---------------------------------------------------------------- the shipped files


def test_shipped_catalog_loads():
    """20 items × 5 points = 100; 21 departments D01..D21 in the seed's order; scales five/three; rubric 60+60+30."""
    cat = load_catalog(SURVEYS)
    q = cat.questionnaire
    assert len(q.items) == 20
    assert [a.name for a in q.aspects] == ["工作作风", "服务态度", "办事效率", "政策宣传", "勤政廉洁"]
    assert [a.key for a in q.aspects] == list("ABCDE")
    assert q.item_ids == tuple(f"{k}{n}" for k in "ABCDE" for n in range(1, 5))
    assert [(a.key, a.label, a.points) for a in q.answers] == [
        ("satisfied", "满意", 5), ("basically_satisfied", "基本满意", 3), ("unsatisfied", "不满意", 0)]
    assert q.max_points == 100
    check_questionnaire(q)  # storable as one digit per item

    assert len(cat.departments) == 21
    assert [d.name for d in cat.departments] == SEED_DEPARTMENTS
    assert [d.code for d in cat.departments] == [f"D{i:02d}" for i in range(1, 22)]


def test_shipped_rubric_matches_seed():
    """Seed 篇1 附件: 窗口管理 60 (10+10+5+10+5+15+5), 工作任务 60 (15+10+10+5+10+10), 加分项 30; total 150."""
    rubric = load_rubric(SURVEYS / RUBRIC_FILE)
    assert [(c.name, c.max_points) for c in rubric.categories] == [("窗口管理", 60), ("工作任务", 60), ("加分项", 30)]
    assert rubric.max_total == 150
    maxima = {it.id: it.max_points for it in rubric.items}
    assert maxima == {"1.1": 10, "1.2": 10, "1.3": 5, "1.4": 10, "1.5": 5, "1.6": 15, "1.7": 5,
                      "2.1": 15, "2.2": 10, "2.3": 10, "2.4": 5, "2.5": 10, "2.6": 10, "3.1": 30}
    assert [it.id for it in rubric.items if it.computed] == ["1.6", "2.5"]
    assert rubric.item_for_rule(RULE_RATING_SATISFACTION).id == "1.6"
    assert rubric.item_for_rule(RULE_ONLINE_PROCESSING).id == "2.5"
    assert rubric.item("3.1").scoring == "bonus" and rubric.item("3.1").start_points == 0
    assert rubric.item("1.1").start_points == 10


# ---------------------------------------------------------------- broken files


@pytest.fixture()
def surveys(tmp_path: Path) -> Path:
    for name in (QUESTIONNAIRE_FILE, DEPARTMENTS_FILE, RUBRIC_FILE):
        shutil.copy(SURVEYS / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


Q, D, R = QUESTIONNAIRE_FILE, DEPARTMENTS_FILE, RUBRIC_FILE

BROKEN = [
    # (file, old text, new text, expected field (substring), expected problem (substring))
    pytest.param(Q, 'id = "C4"', 'id = "C3"', "aspects[2].items[3].id", "重复的题目编号 C3", id="q duplicate item id"),
    pytest.param(Q, 'id = "E4"', 'id = "A1"', "aspects[4].items[3].id", "重复的题目编号 A1",
                 id="q duplicate item id across aspects"),
    pytest.param(Q, "points = 5", "points = 10", "answers[0].points", "0–9", id="q points two digits"),
    pytest.param(Q, "points = 0", "points = -1", "answers[2].points", "0–9", id="q points negative"),
    pytest.param(Q, "points = 3", 'points = "3"', "answers[1].points", "应为整数", id="q points string"),
    pytest.param(Q, "points = 3", "points = 3.0", "answers[1].points", "应为整数", id="q points float"),
    pytest.param(Q, "points = 3", "points = true", "answers[1].points", "应为整数", id="q points bool"),
    pytest.param(Q, 'key = "unsatisfied"', 'key = "satisfied"', "answers[2].key", "重复的答案 key",
                 id="q duplicate answer key"),
    pytest.param(Q, 'key = "unsatisfied"', 'key = "Not OK"', "answers[2].key", "格式不对", id="q bad answer key"),
    pytest.param(Q, 'label = "基本满意"\n', "", "answers[1].label", "缺少必填字段", id="q missing label"),
    pytest.param(Q, 'label = "不满意"', 'label = "满意"', "answers[2].label", "重复的答案文字", id="q duplicate label"),
    pytest.param(Q, 'key = "B"', 'key = "A"', "aspects[1].key", "重复的方面 key", id="q duplicate aspect key"),
    pytest.param(Q, 'name = "服务态度"', 'name = "工作作风"', "aspects[1].name", "重复的方面名称",
                 id="q duplicate aspect name"),
    pytest.param(Q, 'key = "C"', 'key = "C D"', "aspects[2].key", "格式不对", id="q bad aspect key"),
    pytest.param(Q, 'text = "不吃拿卡要，不接受企业宴请、礼品、礼金"', 'text = "  "', "aspects[4].items[0].text",
                 "不能为空",
                 id="q empty item text"),
    pytest.param(Q, 'title = "外来投资企业', 'titel = "外来投资企业', "titel", "未知字段", id="q misspelt key"),
    pytest.param(Q, '\n[[aspects.items]]\nid = "E4"\ntext = "办事公开透明，一视同仁，不优亲厚友"\n', "\n", "aspects",
                 "满分应为 100 分", id="q 19 items is not 100 points"),
    pytest.param(Q, 'text = "在承诺时限内办结，不拖延"', 'text = "在承诺时限内办结', "第 ", "TOML 语法错误",
                 id="q toml syntax error with line"),
    pytest.param(Q, 'title = "外来投资企业民主评议窗口服务部门定性评议表"', "title = 3", "title", "应为文本",
                 id="q title wrong type"),
    pytest.param(D, "D05,", "D04,", "第 8 行 code", "重复的部门编号 D04", id="d duplicate code"),
    pytest.param(D, "D05,", "d04,", "第 8 行 code", "重复的部门编号", id="d duplicate code other case"),
    pytest.param(D, "D05,", "D 05,", "第 8 行 code", "只能用英文字母", id="d bad code"),
    pytest.param(D, "D05,", "D0000000000000005,", "第 8 行 code", "最多 16", id="d code too long"),
    pytest.param(D, "D05,", ",", "第 8 行 code", "缺少部门编号", id="d missing code"),
    pytest.param(D, "县建设局", "县" * 65, "第 8 行 name", "最多 64", id="d name too long"),
    pytest.param(D, "县建设局", "", "第 8 行 name", "缺少部门名称", id="d missing name"),
    pytest.param(D, "县建设局", "县招商局", "第 8 行 name", "重复的部门名称", id="d duplicate name"),
    pytest.param(D, ",50\n", ",五十\n", "第 8 行 sort_order", "应为整数", id="d sort_order not integer"),
    pytest.param(D, "code,name,sort_order", "code,name,order", "表头", "缺少列 sort_order", id="d header"),
    pytest.param(D, "D05,县建设局,50", 'D05,"县建设局,50', "第 8 行", "CSV", id="d unbalanced quote"),
    pytest.param(R, "max = 15\nscoring = \"computed\"", "max = 14\nscoring = \"computed\"", "categories[0].max",
                 "各小项满分之和为 59", id="r item maxima do not sum"),
    pytest.param(R, 'id = "1.7"', 'id = "1.6"', "categories[0].items[6].id", "重复的小项编号 1.6",
                 id="r duplicate item id"),
    pytest.param(R, 'key = "bonus"', 'key = "work_tasks"', "categories[2].key", "重复的类别", id="r dup category"),
    pytest.param(R, 'rule = "online_processing"', 'rule = "rating_satisfaction"', "categories[1].items[4].rule",
                 "已由", id="r rule used twice"),
    pytest.param(R, 'rule = "online_processing"', 'rule = "magic"', "categories[1].items[4].rule", "未知的算法",
                 id="r unknown rule"),
    pytest.param(R, 'rule = "online_processing"\n', "", "categories[1].items[4].rule", "缺少必填字段",
                 id="r computed without rule"),
    pytest.param(R, 'scoring = "bonus"', 'scoring = "extra"', "categories[2].items[0].scoring", "计分方式",
                 id="r bad scoring"),
    pytest.param(R, "max = 30\nscoring", 'max = "30"\nscoring', "categories[2].items[0].max", "应为整数",
                 id="r max string"),
    pytest.param(R, '[[categories]]\nkey = "bonus"', '[categories]\nkey = "bonus"', "第 ", "TOML 语法错误",
                 id="r table redefined"),
]


@pytest.mark.parametrize("filename, old, new, field, problem", BROKEN)
def test_broken_file_names_file_and_field(surveys: Path, filename, old, new, field, problem):
    _edit(surveys / filename, old, new)
    with pytest.raises(DataFileError) as info:
        load_catalog(surveys)
    err = info.value
    assert err.path == filename
    assert field in err.field, err.message
    assert problem in err.problem, err.message
    assert err.message.startswith(f"{filename}: ")


def test_error_message_format_matches_example(surveys: Path):
    _edit(surveys / Q, 'id = "C4"', 'id = "C3"')
    with pytest.raises(DataFileError) as info:
        load_questionnaire(surveys / Q)
    assert info.value.message.startswith("annual_questionnaire.toml: aspects[2].items[3].id: 重复的题目编号 C3")


def test_toml_syntax_error_reports_line(surveys: Path):
    text = (surveys / Q).read_text(encoding="utf-8")
    line = text[: text.index('text = "在承诺时限内办结')].count("\n") + 1
    _edit(surveys / Q, 'text = "在承诺时限内办结，不拖延"', 'text = "在承诺时限内办结')
    with pytest.raises(DataFileError) as info:
        load_questionnaire(surveys / Q)
    assert info.value.field == f"第 {line} 行"


def test_missing_file(tmp_path: Path):
    with pytest.raises(DataFileError) as info:
        load_catalog(tmp_path)
    assert info.value.path == QUESTIONNAIRE_FILE and "不存在" in info.value.problem


def test_departments_not_utf8(tmp_path: Path):
    path = tmp_path / D
    path.write_bytes("code,name,sort_order\nD01,县招商局,1\n".encode("gbk"))
    with pytest.raises(DataFileError) as info:
        load_departments(path)
    assert info.value.field == "第 2 行" and "UTF-8" in info.value.problem


def test_departments_excel_style(tmp_path: Path):
    """Excel's "CSV UTF-8": byte order mark, CRLF, padded empty cells, extra column; ordered by sort_order."""
    path = tmp_path / D
    text = ("# 说明,,,\r\nCode , Name,sort_order,备注\r\nB2,县财政局,20,\r\nA1,\"县招商局\",10,首位\r\n,,,\r\n"
            "C3,县公安局,20,\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    deps = load_departments(path)
    assert [(d.code, d.name) for d in deps] == [("A1", "县招商局"), ("B2", "县财政局"), ("C3", "县公安局")]


def test_departments_empty(tmp_path: Path):
    path = tmp_path / D
    path.write_text("# 只有注释\ncode,name,sort_order\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_departments(path)
    assert "至少需要一个部门" in info.value.problem


def test_aspect_without_items(surveys: Path):
    """An aspect must have at least one item."""
    text = (surveys / Q).read_text(encoding="utf-8")
    text += '\n[[aspects]]\nkey = "F"\nname = "其他"\n'
    (surveys / Q).write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_questionnaire(surveys / Q)
    assert info.value.field == "aspects[5].items" and "缺少必填字段" in info.value.problem


def test_other_questionnaire_summing_to_100_is_accepted(tmp_path: Path):
    """25 items × 4 points = 100 is a valid questionnaire (the office may change the form)."""
    lines = ['title = "测试"', '[[answers]]', 'key = "good"', 'label = "好"', "points = 4",
             '[[answers]]', 'key = "bad"', 'label = "差"', "points = 0"]
    for a in range(5):
        lines += ["[[aspects]]", f'key = "K{a}"', f'name = "方面{a}"']
        for i in range(5):
            lines += ["[[aspects.items]]", f'id = "K{a}{i}"', f'text = "题目{a}{i}"']
    path = tmp_path / Q
    path.write_text("\n".join(lines), encoding="utf-8")
    q = load_questionnaire(path)
    assert len(q.items) == 25 and q.max_points == 100
