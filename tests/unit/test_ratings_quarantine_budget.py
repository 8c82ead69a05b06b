"""Unit tests: the quarantine budget — rows kept per terminal per hour and in total per hour (issue 9)."""

from pingyi.ratings.ingest.budget import HOUR_MS, QuarantineBudget
from pingyi.ratings.ingest.validate import QuarantineRow

T0 = 1_800_000_000_000 // HOUR_MS * HOUR_MS


def row(tid: str, at: int = T0, length: int = 100) -> QuarantineRow:
    return QuarantineRow(at, f"pingyi/v1/t/{tid}/event", "payload: junk", tid, b"x" * min(length, 10), length)


def test_per_terminal_bound_counts_the_excess():
    b = QuarantineBudget(per_terminal_hour=3, total_hour=100)
    kept, over = b.admit([row("t-a", length=1000) for _ in range(5)] + [row("t-b")])
    assert [q.terminal_id for q in kept] == ["t-a"] * 3 + ["t-b"]
    assert (over["t-a"].messages, over["t-a"].bytes, over["t-a"].last_ms) == (2, 2000, T0)
    assert "t-b" not in over


def test_bound_holds_across_batches_and_resets_each_clock_hour():
    b = QuarantineBudget(per_terminal_hour=2, total_hour=100)
    assert len(b.admit([row("t-a")])[0]) == 1
    assert len(b.admit([row("t-a"), row("t-a", T0 + HOUR_MS - 1)])[0]) == 1  # the same hour: one more only
    kept, over = b.admit([row("t-a", T0 + HOUR_MS)])  # next hour
    assert len(kept) == 1 and not over


def test_total_bound_over_all_terminals():
    b = QuarantineBudget(per_terminal_hour=10, total_hour=4)
    kept, over = b.admit([row(t) for t in ("t-a", "t-b", "t-c", "t-d", "t-e", "t-a", "")])
    assert len(kept) == 4
    assert {t: o.messages for t, o in over.items()} == {"t-e": 1, "t-a": 1, "": 1}
