"""Test helpers: a campaign with cards on the bound database, answers builders, an async runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.evaluation import service as evaluation
from pingyi.hall.service import add_missing_departments
from pingyi.settings import Settings

T = TypeVar("T")


def run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` in a fresh event loop with the settings' database bound and its pool open."""
    return run_db(settings, work)


def full_section(settings: Settings, answer: str = "satisfied", **overrides: str) -> dict[str, str]:
    q = load_catalog(settings.surveys_dir).questionnaire
    section = {item: answer for item in q.item_ids}
    section.update(overrides)
    return section


async def open_campaign(settings: Settings, year: int = 2026, cards: int = 5, **kwargs: Any) -> list[str]:
    catalog = load_catalog(settings.surveys_dir)
    await add_missing_departments(catalog.departments)
    await evaluation.create_campaign(year, f"{year}年度外来投资企业民主评议", catalog.questionnaire,
                                     [d.code for d in catalog.departments], actor="test", **kwargs)
    await evaluation.change_state(year, "open", actor="test")
    return (await evaluation.mint_cards(year, cards, actor="test")).tokens
