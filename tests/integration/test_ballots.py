"""Integration: card spending and anonymous ballots on SQLite and PostgreSQL (SPEC §2–3)."""

from __future__ import annotations

import asyncio

import pytest

from pingyi.core.errors import Conflict, InvalidInput, NotFound, StateError
from pingyi.evaluation import service as evaluation
from pingyi.evaluation.tables import Ballot, Opinion, Receipt, Section, SpentToken

from .helpers import full_section, open_campaign, run


async def _counts() -> dict[str, int]:
    return {"ballots": await Ballot.count(), "sections": await Section.count(), "receipts": await Receipt.count(),
            "spent": await SpentToken.count()}


def test_ballot_is_stored_and_card_spent(any_settings):
    s = any_settings

    async def work():
        tokens = await open_campaign(s)
        receipt = await evaluation.submit_ballot(tokens[0],
                                                 {"D01": full_section(s), "D05": full_section(s, "unsatisfied")},
                                                 {"D01": "  很好  "})
        sections = await Section.select(Section.department.code, Section.total, Section.answers)\
            .order_by(Section.department.code)
        opinions = await Opinion.select(Opinion.department.code, Opinion.text, Opinion.source)
        return receipt, await _counts(), sections, opinions

    receipt, counts, sections, opinions = run(s, work)
    assert receipt.startswith("R-")
    assert counts == {"ballots": 1, "sections": 2, "receipts": 1, "spent": 1}
    assert [(r["department.code"], r["total"]) for r in sections] == [("D01", 100), ("D05", 0)]
    assert opinions == [{"department.code": "D01", "text": "很好", "source": "ballot"}]  # apart from its section
    assert sections[0]["answers"] == "5" * 20


def test_spent_card_is_refused_and_nothing_changes(any_settings):
    s = any_settings

    async def work():
        tokens = await open_campaign(s)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {})
        with pytest.raises(Conflict) as err:
            await evaluation.submit_ballot(tokens[0], {"D02": full_section(s)}, {})
        return err.value, await _counts()

    err, counts = run(s, work)
    assert "已经使用过" in err.message
    assert counts == {"ballots": 1, "sections": 1, "receipts": 1, "spent": 1}


def test_partial_section_is_refused_naming_missing_items_and_card_stays_usable(any_settings):
    s = any_settings

    async def work():
        tokens = await open_campaign(s)
        partial = full_section(s)
        del partial["A2"], partial["E4"]
        with pytest.raises(InvalidInput) as err:
            await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D04": partial}, {})
        before = await _counts()
        receipt = await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {})
        return err.value, before, receipt

    err, before, receipt = run(s, work)
    assert err.details["partial"] == {"D04": ["A2", "E4"]}
    assert "县国土资源局" in err.message and "A2" in err.message and "E4" in err.message
    assert before == {"ballots": 0, "sections": 0, "receipts": 0, "spent": 0}
    assert receipt


@pytest.mark.parametrize("answers, opinions, needle", [
    ({"D99": {}}, {}, "D99"),
    ({"D99": {"A1": "satisfied"}}, {}, "D99"),
    ({"D01": {"A1": "great"}}, {}, "great"),
    ({}, {}, "请至少评议"),
], ids=["empty-unknown-dept", "unknown-dept", "unknown-answer", "no-sections"])
def test_bad_ballots_change_nothing(sqlite_settings, answers, opinions, needle):
    s = sqlite_settings

    async def work():
        tokens = await open_campaign(s)
        with pytest.raises(InvalidInput) as err:
            await evaluation.submit_ballot(tokens[0], answers, opinions)
        return err.value, await _counts()

    err, counts = run(s, work)
    assert needle in err.message
    assert counts == {"ballots": 0, "sections": 0, "receipts": 0, "spent": 0}


def test_oversize_opinion_is_refused(sqlite_settings):
    s = sqlite_settings

    async def work():
        tokens = await open_campaign(s)
        with pytest.raises(InvalidInput) as err:
            await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {"D01": "长" * 1001})
        return err.value, await _counts()

    err, counts = run(s, work)
    assert "1000" in err.message
    assert counts["ballots"] == 0


def test_unknown_card_and_closed_campaign(sqlite_settings):
    s = sqlite_settings

    async def work():
        tokens = await open_campaign(s)
        with pytest.raises(NotFound):
            await evaluation.submit_ballot("0" * 26, {"D01": full_section(s)}, {})
        with pytest.raises(InvalidInput):
            await evaluation.submit_ballot("not-a-card", {"D01": full_section(s)}, {})
        await evaluation.change_state(2026, "close", actor="test")
        with pytest.raises(StateError) as err:
            await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {})
        return err.value, await _counts()

    err, counts = run(s, work)
    assert "未开放" in err.message
    assert counts == {"ballots": 0, "sections": 0, "receipts": 0, "spent": 0}


def test_card_code_typed_by_hand_with_dashes_and_lowercase_works(sqlite_settings):
    from pingyi.core.cardcodes import format_code

    s = sqlite_settings

    async def work():
        tokens = await open_campaign(s)
        typed = format_code(tokens[0]).lower()
        return await evaluation.submit_ballot(typed, {"D01": full_section(s)}, {})

    assert run(s, work)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_100_concurrent_submissions_of_one_card_store_exactly_one_ballot(engine, request):
    s = request.getfixturevalue(f"{engine}_settings")

    async def work():
        tokens = await open_campaign(s)

        async def attempt(i: int):
            try:
                return await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {"D01": f"#{i}"})
            except Conflict:
                return None

        outcomes = await asyncio.gather(*(attempt(i) for i in range(100)))
        return outcomes, await _counts()

    outcomes, counts = run(s, work)
    assert sum(1 for o in outcomes if o) == 1
    assert counts == {"ballots": 1, "sections": 1, "receipts": 1, "spent": 1}


@pytest.mark.pg
def test_many_cards_concurrently_each_store_one_ballot(pg_settings):
    s = pg_settings

    async def work():
        tokens = await open_campaign(s, cards=40)
        receipts = await asyncio.gather(*(evaluation.submit_ballot(t, {"D02": full_section(s)}, {})
                                          for t in tokens))
        return receipts, await _counts()

    receipts, counts = run(s, work)
    assert len(set(receipts)) == 40
    assert counts == {"ballots": 40, "sections": 40, "receipts": 40, "spent": 40}


def test_card_of_a_campaign_opened_after_the_open_campaign_was_cached(any_settings):
    """The submit path caches the one open campaign; a second campaign opened meanwhile still takes ballots."""
    s = any_settings

    async def work():
        first = await open_campaign(s, year=2025, cards=1)
        await evaluation.submit_ballot(first[0], {"D01": full_section(s)}, {})  # caches 2025 as the open one
        second = await open_campaign(s, year=2026, cards=1)
        receipt = await evaluation.submit_ballot(second[0], {"D02": full_section(s)}, {})
        rows = await Section.select(Section.campaign.year, Section.department.code).order_by(Section.campaign.year)
        return receipt, rows

    receipt, rows = run(s, work)
    assert receipt.startswith("R-")
    assert [(r["campaign.year"], r["department.code"]) for r in rows] == [(2025, "D01"), (2026, "D02")]
