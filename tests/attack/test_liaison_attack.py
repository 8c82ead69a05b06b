"""Attack: a department liaison with only its feedback page and the public bulletin tries to tie each opinion to
the section it came with (SPEC §2–3). Ballots are cast with random answers and one unique opinion each.

Statistic: for each department, Kendall's tau between an opinion's place on the feedback page and its section's
place in the bulletin (pooled over departments), and the exact matches of the attacker's alignment guess (the
i-th of p opinions ↔ the section at the same relative place among q), whose count is a sum of Bernoulli(1/q)
under a fair null (exact Poisson-binomial tail). Each is checked at p < 0.001 / m. The test publishes twice and
also checks that the bulletin order is fresh per publication.
"""

from __future__ import annotations

import html
import re

import pytest

from pingyi.accounts import service as accounts
from pingyi.evaluation import service as evaluation
from pingyi.publication import service as publication

from ..integration.helpers import run
from ..integration.webclient import client_for, login
from . import stats
from .voting import DEPARTMENTS, cast

OPINION_CARD = re.compile(r'<div class="card">(意见[0-9a-f]+)</div>')


def _liaison_view(s, code: str) -> list[str]:
    with client_for(s) as client:
        login(client, f"l-{code}", "password-1")
        page = client.get("/office/feedback")
        assert page.status_code == 200
        return [html.unescape(o) for o in OPINION_CARD.findall(page.text)]


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_liaison_cannot_tie_an_opinion_to_its_section(engine, request):
    s = request.getfixturevalue(f"{engine}_settings")
    voting = cast(s, count=44, copies_after=())

    async def publish(reason: str = "") -> None:
        if reason == "":
            await evaluation.change_state(2026, "close", actor="office")
            for code in DEPARTMENTS:
                await accounts.create_user(f"l-{code}", "password-1", "liaison", department_code=code, actor="t")
        version = (await publication.compute_snapshot(2026, actor="office", reason=reason))["version"]
        await publication.publish(2026, version, actor="office", reason=reason)

    run(s, publish)
    with client_for(s) as client:
        first = client.get("/api/v1/bulletin/2026").json()
    strata, trials, correct, units = [], [], 0, 0
    for code in DEPARTMENTS:
        opinions = _liaison_view(s, code)
        sections = next(d for d in first["departments"] if d["code"] == code)["sections"]
        truth = {b.opinion: b.sections[code] for b in voting.ballots if b.opinion_department == code}
        assert sorted(opinions) == sorted(truth), "the liaison sees every opinion of its department"
        places = [sections.index(truth[o]) for o in opinions]
        strata.append((list(range(len(opinions))), places))
        p, q = len(opinions), len(sections)
        for i, place in enumerate(places):
            guess = min(q - 1, round((i + 0.5) * q / p - 0.5))
            correct += guess == place
            trials.append(1 / q)
        units += p
    tau_p, tau = stats.stratified_kendall_p(strata)
    match_p = stats.binomial_tail(trials, correct)
    threshold = stats.ALPHA / 2
    print(f"\n[{engine}] liaison: opinion place ↔ section place tau {tau:+.2f} (p={tau_p:.2g}); "
          f"aligned guesses right {correct}/{units} (chance {sum(trials):.1f}, p={match_p:.2g}); "
          f"threshold {threshold:.2g}")
    assert tau_p >= threshold and match_p >= threshold

    run(s, lambda: publish("更正：复核后重新公布"))
    with client_for(s) as client:
        second = client.get("/api/v1/bulletin/2026").json()
    for a, b in zip(first["departments"], second["departments"], strict=False):
        if a.get("sections") and len(a["sections"]) > 3:
            assert sorted(a["sections"]) == sorted(b["sections"])
            assert a["sections"] != b["sections"], "each publication lists the sections in a fresh order"
