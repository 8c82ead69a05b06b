"""Composition layer: what the followup context needs from contexts it may not import, and what it adds to pages of
contexts that may not import it (docs/followup.md "Wiring").

- The annual results live in publication/ (which reads followup/, so followup/ may not read it): the published
  不满意 grades are handed to followup as outcome records, bound by create_app() and the `pingyi` command.
- The public monthly page (assessment/) shows each department's 差评 answers of the month: app.py puts
  `month_panel` into `app.state.month_panels`, which assessment's page renders without knowing who made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pingyi import clock
from pingyi.core import followup as rules
from pingyi.core import scoring
from pingyi.followup import service as followup
from pingyi.followup.schemas import Outcome
from pingyi.publication import service as publication
from pingyi.settings import Settings


async def annual_outcomes() -> list[Outcome]:
    """Every 不满意 grade of every published campaign (its newest published version)."""
    found: list[Outcome] = []
    for year in await publication.published_years():
        results = await publication.published_results(year)
        published_on = datetime.fromisoformat(results["published_at"]).astimezone(clock.current().zone).date()
        for r in results["results"]:
            if r.get("grade") == scoring.UNSATISFIED:
                found.append(Outcome(source=rules.ANNUAL, period=str(year), department_code=r["code"],
                                     published_on=published_on, detail=f"得分 {r['published']}"))
    return found


def bind() -> None:
    followup.use_outcome_sources(annual_outcomes)


def month_panel(settings: Settings) -> Any:
    """The provider app.py registers for the public monthly page."""
    async def panel(month: str) -> dict[str, Any]:
        return {"template": "followup/month_panel.html",
                "panel": await followup.month_panel(month, followup.policy_for(settings))}

    return panel
