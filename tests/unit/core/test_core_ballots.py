"""Unit tests for pingyi.core.ballots (SPEC §2–3): complete-or-absent sections, one error listing all problems;
a picked or listed department is never dropped (issue 7)."""

import pytest

from pingyi.core.ballots import (
    SectionDraft,
    answered_count,
    check_questionnaire,
    item_points,
    picked_departments,
    section_total,
    validate_ballot,
)
from pingyi.core.errors import InvalidInput
from pingyi.core.survey import Answer, Aspect, Item, Questionnaire

ASPECTS = ["工作作风", "服务态度", "办事效率", "政策宣传", "勤政廉洁"]
ANSWERS = (
    Answer("satisfied", "满意", 5), Answer("basically_satisfied", "基本满意", 3), Answer("unsatisfied", "不满意", 0),
)
Q = Questionnaire(
    "年度评议",
    tuple(Aspect(f"a{n}", name, tuple(Item(f"{letter}{i}", f"问题{letter}{i}") for i in range(1, 5)))
          for n, (letter, name) in enumerate(zip("ABCDE", ASPECTS, strict=True))),
    ANSWERS,
)
DEPTS = {"D04": "县国土资源局", "D01": "县招商局", "D02": "县发改委"}


def full(key="satisfied", **overrides):
    section = {i: key for i in Q.item_ids}
    section.update(overrides)
    return section


def test_complete_sections_become_digit_strings_in_item_order():
    """All 满意 → "5"×20 = 100; mixed A1 不满意, E4 基本满意 → '0' first, '3' last, total 100−5−2 = 93."""
    drafts = validate_ballot(Q, DEPTS, {"D02": full(), "D01": full(A1="unsatisfied", E4="basically_satisfied")},
                             {"D01": "  窗口办事快 \r\n 态度好  "})
    assert drafts == [
        SectionDraft("D01", "0" + "5" * 18 + "3", 93, "窗口办事快 \n 态度好"),
        SectionDraft("D02", "5" * 20, 100, ""),
    ]
    assert item_points(drafts[0].answers)[0] == 0 and section_total(drafts[0].answers) == 93


def test_department_not_listed_is_absent():
    drafts = validate_ballot(Q, DEPTS, {"D01": full()}, {})
    assert [d.department_code for d in drafts] == ["D01"]


NINETEEN = [i for i in Q.item_ids if i != "A1"]


@pytest.mark.parametrize(
    "answers, picked, unanswered, partial",
    [
        pytest.param({"D01": full()}, ["D01", "D02", "D04"], ["D02", "D04"], None,
                     id="form: three picked, only the first answered → the other two named"),
        pytest.param({"D01": full(), "D02": {}}, (), ["D02"], None, id="API: listed with no answers"),
        pytest.param({"D01": full(), "D04": {"A1": "", "A2": None}}, (), ["D04"], None,
                     id="listed with only blank values"),
        pytest.param({"D01": {}}, (), ["D01"], None, id="the only department listed, unanswered"),
        pytest.param({}, ["D02"], ["D02"], None, id="picked, nothing answered anywhere"),
        pytest.param({"D01": full(), "D02": full(A1="")}, ["D01", "D02", "D04"], ["D04"], {"D02": ["A1"]},
                     id="one partial and one unanswered, both reported"),
    ],
)
def test_picked_or_listed_department_must_be_complete(answers, picked, unanswered, partial):
    with pytest.raises(InvalidInput) as err:
        validate_ballot(Q, DEPTS, answers, {}, picked=picked)
    details = err.value.details
    assert details["unanswered"] == unanswered
    assert details.get("partial") == partial
    for code in unanswered:
        assert f"{DEPTS[code]}：20 项均未作答。" in err.value.message
    assert "要么 20 项全部作答，要么移除该部门" in err.value.message


@pytest.mark.parametrize(
    "answers, picked, sections",
    [
        pytest.param({"D01": full()}, (), ["D01"], id="API: listed and complete"),
        pytest.param({"D01": full()}, ["D01"], ["D01"], id="picked and complete"),
        pytest.param({"D01": full(), "D04": full("unsatisfied")}, ["D04", "D01", "D01"], ["D01", "D04"],
                     id="all picked complete, duplicates in the picked list are one"),
    ],
)
def test_every_picked_department_complete_is_accepted(answers, picked, sections):
    assert [d.department_code for d in validate_ballot(Q, DEPTS, answers, {}, picked=picked)] == sections


def test_picked_department_outside_the_campaign_is_refused():
    with pytest.raises(InvalidInput) as err:
        validate_ballot(Q, DEPTS, {"D01": full()}, {}, picked=["D01", "X99"])
    assert err.value.details["unknown_departments"] == ["X99"]


def test_opinion_on_picked_unanswered_department_reports_the_department_once():
    with pytest.raises(InvalidInput) as err:
        validate_ballot(Q, DEPTS, {"D01": full()}, {"D02": "意见"}, picked=["D01", "D02"])
    assert err.value.details["unanswered"] == ["D02"]
    assert "opinion_without_answers" not in err.value.details
    assert err.value.message.count("县发改委") == 1


@pytest.mark.parametrize(
    "section, count",
    [
        pytest.param({}, 0, id="nothing"),
        pytest.param(full(), 20, id="all 20"),
        pytest.param({i: "satisfied" for i in NINETEEN}, 19, id="19 of 20"),
        pytest.param({"A1": "satisfied", "Z9": "satisfied"}, 1, id="an item not in the questionnaire is not counted"),
        pytest.param({"A1": "great", "A2": "unsatisfied"}, 1, id="an unknown answer is not counted"),
        pytest.param({"A1": "", "A2": None, "A3": "basically_satisfied"}, 1, id="blank values are not counted"),
    ],
)
def test_answered_count(section, count):
    assert answered_count(Q, section) == count


def test_picked_departments_are_listed_and_picked_ones():
    assert picked_departments({"D01": {}, "D02": full()}, ["D04", "D01"]) == {"D01", "D02", "D04"}


def test_partial_section_refused_naming_department_and_missing_items():
    """17 of 20 answered → 3 missing (A2, B1, E4), listed in questionnaire order."""
    section = full()
    for i in ("E4", "A2", "B1"):
        del section[i]
    with pytest.raises(InvalidInput) as err:
        validate_ballot(Q, DEPTS, {"D04": section, "D01": full()}, {})
    assert "县国土资源局：还有 3 项未作答（A2、B1、E4）" in err.value.message
    assert "要么 20 项全部作答，要么移除该部门" in err.value.message
    assert err.value.details["partial"] == {"D04": ["A2", "B1", "E4"]}


def test_all_problems_reported_at_once():
    with pytest.raises(InvalidInput) as err:
        validate_ballot(
            Q, DEPTS,
            {"D01": {"A1": "satisfied"}, "D02": full(A1="great", Z9="satisfied"), "X99": full()},
            {"D04": "没评但写了意见", "D01": "长" * 1001},
        )
    d = err.value.details
    assert d["partial"]["D01"] == list(Q.item_ids[1:])
    assert d["unknown_items"] == {"D02": ["Z9"]}
    assert d["unknown_answers"] == {"D02": {"A1": "great"}}
    assert d["unknown_departments"] == ["X99"]
    assert d["opinion_too_long"] == {"D01": 1001}
    assert d["opinion_without_answers"] == ["D04"]
    msg = err.value.message
    for fragment in ("县招商局：还有 19 项未作答", "X99", "Z9", "great", "1001 字",
                     "县国土资源局：填写了意见但没有评议"):
        assert fragment in msg


@pytest.mark.parametrize(
    "opinion, ok",
    [
        pytest.param("字" * 1000, True, id="1000 chars = limit → ok"),
        pytest.param("  " + "字" * 1000 + "\n ", True, id="surrounding whitespace stripped before counting"),
        pytest.param("字" * 1001, False, id="1001 chars → refused"),
    ],
)
def test_opinion_length_limit(opinion, ok):
    if ok:
        (d,) = validate_ballot(Q, DEPTS, {"D01": full()}, {"D01": opinion})
        assert len(d.opinion) == 1000
    else:
        with pytest.raises(InvalidInput):
            validate_ballot(Q, DEPTS, {"D01": full()}, {"D01": opinion})


def test_blank_opinion_for_absent_department_is_fine():
    (d,) = validate_ballot(Q, DEPTS, {"D01": full()}, {"D02": "   "})
    assert d.department_code == "D01"


@pytest.mark.parametrize("opinions", [{}, {"D01": "  "}])
def test_zero_sections_refused(opinions):
    with pytest.raises(InvalidInput) as err:
        validate_ballot(Q, DEPTS, {}, opinions, picked=())
    assert err.value.message == "请至少评议一个办理过业务的部门。"


def test_malformed_shapes_refused():
    with pytest.raises(InvalidInput):
        validate_ballot(Q, DEPTS, {"D01": ["satisfied"]}, {})
    with pytest.raises(InvalidInput):
        validate_ballot(Q, DEPTS, {"D01": full(A1=["x"])}, {})


def test_questionnaire_points_must_be_single_digit():
    bad = Questionnaire(Q.title, Q.aspects, (Answer("great", "非常满意", 10), *ANSWERS))
    with pytest.raises(InvalidInput) as err:
        check_questionnaire(bad)
    assert "0 到 9" in err.value.message
    with pytest.raises(InvalidInput):
        validate_ballot(bad, DEPTS, {"D01": full()}, {})
    check_questionnaire(Q)


def test_item_points_rejects_non_digits():
    assert item_points("530") == [5, 3, 0]
    with pytest.raises(InvalidInput):
        item_points("5a")
