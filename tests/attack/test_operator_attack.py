"""Attack: an operator with a copy of the database, every log and the card roster tries to link ballots (SPEC §3).

44 ballots are cast through the real server, web form and JSON API mixed, with random answers and one unique
opinion each, by cards taken in random order from the roster (cards are handed out in mint order). Copies are
taken during voting right after a ballot was answered, after the last ballot, and after the campaign closed.
Each copy is attacked on its own, as the threat model's "a copy taken at any moment": two copies taken around
one ballot differ by exactly that ballot, which no storage can hide (docs/anonymity.md).

Statistic (tests/attack/stats.py): every linkage is scored against the truth by the number of exact matches of
the attacker's bijection (exact rencontres tail under a uniformly random truth) and/or Kendall's tau between the
stored order and the truth (tie-corrected normal approximation, two-sided). The test fails when any of the m
linkages has p < 0.001 / m.
"""

from __future__ import annotations

import re

import pytest

from pingyi.evaluation import service as evaluation

from ..integration.helpers import run
from .attacker import observe
from .scoring import report, score
from .voting import cast, take_copy


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_a_copy_of_the_database_and_the_logs_link_nothing(engine, request, tmp_path):
    s = request.getfixturevalue(f"{engine}_settings")
    voting = cast(s, count=44)
    run(s, lambda: evaluation.change_state(2026, "close", actor="office"))
    voting.copies.append(take_copy(s, "after the campaign closed", len(voting.ballots)))

    linkages = []
    for i, copy in enumerate(voting.copies):
        linkages += score(voting, observe(copy, tmp_path / f"copy{i}"))
    table, failing = report(linkages)
    print(f"\n[{engine}]\n{table}")
    assert len({x.name for x in linkages}) >= 8, "the attack must actually find the rows it scores"
    assert not failing, f"{len(failing)} linkages beat chance:\n" + "\n".join(x.line() for x in failing)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_logs_carry_no_per_ballot_value(engine, request):
    """Successful ballot submissions are alike in every log line but for their time: no token, receipt, answer,
    opinion, hash or duration (a duration grows with the number of sections, so it would tell ballots apart)."""
    s = request.getfixturevalue(f"{engine}_settings")
    voting = cast(s, count=12, copies_after=())
    logs = voting.access_log + voting.server_log
    for b in voting.ballots:
        for secret in (b.token, b.token.lower(), b.token_hash, b.receipt, b.opinion, *b.sections.values()):
            assert secret not in logs
    ballot_lines = [line for line in voting.access_log.splitlines()
                    if re.search(r"POST /(b/\[redacted\]|api/v1/ballots) 20[01]", line)]
    assert len(ballot_lines) == len(voting.ballots)
    shapes = {re.sub(r"^\S+ \S+ ", "", line) for line in ballot_lines}  # drop the timestamp
    assert shapes <= {"POST /b/[redacted] 200 -", "POST /api/v1/ballots 201 -"}, shapes


def test_reverse_proxy_logs_no_ballot_request():
    """deploy/nginx: the ballot locations write neither access nor error lines, and pass no client address."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "deploy/nginx/pingyi.conf").read_text()
    conf = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for location in ("location /b {", "location /api/v1/ballots {"):
        block = conf.split(location, 1)[1].split("}", 1)[0]
        assert "access_log off;" in block and "error_log /dev/null" in block, location
    assert "X-Forwarded-For" not in conf and "X-Real-IP" not in conf
