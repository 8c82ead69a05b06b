"""Tests sit in the tier their needs imply (issue 6): unit needs nothing; others name their service by marker."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def test_the_unit_tier_refuses_a_network_connection() -> None:
    with socket.socket() as s, pytest.raises(AssertionError, match="a unit test opened a network connection"):
        s.connect(("127.0.0.1", 9))


@pytest.mark.parametrize("needle, marker", [
    (r"tests\.support\.broker|paho\.mqtt|require_broker", "mqtt"),
    (r"chromium|playwright", "browser"),
])
def test_modules_that_need_a_service_carry_its_marker(needle: str, marker: str) -> None:
    unmarked = []
    for path in sorted((TESTS / "integration").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(needle, text) and f"mark.{marker}" not in text:
            unmarked.append(path.name)
    assert unmarked == [], f"these modules need {marker} but do not say so: {unmarked}"


def test_no_service_module_sits_in_the_unit_tier() -> None:
    offenders = [p.relative_to(TESTS).as_posix() for p in (TESTS / "unit").rglob("test_*.py")
                 if p.name != "test_tiers.py"
                 and re.search(r"tests\.support\.broker|pg_settings|any_settings|chromium", p.read_text("utf-8"))]
    assert offenders == [], offenders
