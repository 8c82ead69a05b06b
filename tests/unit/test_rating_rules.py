"""Unit tests: one source for the rating rules (SPEC §4; docs/rating-rules.md) — pingyi_terminal.protocol.

The ingest's fast-path table, the SQL predicates of the queries and the page labels are all derived from protocol;
a rule changed in one place only makes one of these fail.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from pingyi.ratings import controllers, repository
from pingyi.ratings.ingest import validate
from pingyi_terminal import protocol

ROOT = Path(__file__).resolve().parents[2]


def _shapes():
    flag_sets = [p for r in range(len(protocol.FLAGS) + 1) for p in itertools.permutations(protocol.FLAGS, r)]
    for scale, labels in protocol.SCALES.items():
        for level in labels:
            for flags in flag_sets:
                yield "press", level, scale, tuple(flags)
        yield "arm", None, scale, ()


def test_ingest_fast_path_table_agrees_with_protocol():
    for kind, level, scale, flags in _shapes():
        stored, counted, bad = validate.SHAPES[(kind, level, scale, flags)]
        assert counted == protocol.counted(kind, flags)
        assert bad == (kind == "press" and level in protocol.BAD_LEVELS[scale])
        assert stored == ",".join(sorted(flags))


def _sql_verdicts(predicate: str) -> dict[tuple, bool]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE rating (kind TEXT, level INT, scale TEXT, flags TEXT, dismissed BOOLEAN)")
    rows = [(k, lv, sc, ",".join(sorted(f)), d) for k, lv, sc, f in _shapes() for d in (False, True)]
    db.executemany("INSERT INTO rating VALUES (?, ?, ?, ?, ?)", rows)
    out = {}
    for k, lv, sc, f, d, v in db.execute(f"SELECT kind, level, scale, flags, dismissed, {predicate} FROM rating"):
        out[(k, lv, sc, f, bool(d))] = bool(v)
    return out


def test_sql_predicates_agree_with_protocol():
    for (kind, level, scale, _flags, _dismissed), bad in _sql_verdicts(repository.bad_sql()).items():
        assert bad == (kind == "press" and protocol.is_bad(level, scale)), (kind, level, scale)
    for (kind, _level, _scale, flags, dismissed), counts in _sql_verdicts(repository.counted_sql()).items():
        assert counts == (protocol.counted(kind, flags.split(",") if flags else ()) and not dismissed)


def test_sql_predicate_follows_an_edited_definition(monkeypatch):
    monkeypatch.setattr(protocol, "BAD_LEVELS", {"five": frozenset({1}), "three": frozenset({1})})
    verdicts = _sql_verdicts(repository.bad_sql())
    assert verdicts[("press", 2, "five", "", False)] is False
    assert verdicts[("press", 1, "five", "", False)] is True
    assert protocol.is_bad(2, "five") is False


def test_page_labels_are_the_definition():
    assert controllers.LEVEL_LABELS is protocol.SCALES
    template = (ROOT / "platform/pingyi/templates/ratings/bad_ratings.html").read_text(encoding="utf-8")
    assert "labels[" in template or "labels.get" in template or "labels" in template


def test_no_copy_of_the_labels_or_the_rule_outside_protocol():
    """Level labels and the 差评 threshold are written once: in terminals/pingyi_terminal/protocol.py."""
    places = [*(ROOT / "platform/pingyi").rglob("*.py"), *(ROOT / "platform/pingyi/templates/ratings").glob("*.html"),
              *(ROOT / "terminals/pingyi_terminal").glob("*.py")]
    for path in places:
        if path.name == "protocol.py" or "piccolo_migrations" in path.parts:
            continue
        code = "\n".join(ln.split("#", 1)[0] for ln in path.read_text(encoding="utf-8").splitlines())
        for literal in ("非常不满意", "level <= 2", "BAD_MAX_LEVEL"):
            assert literal not in code, f"{path.relative_to(ROOT)} repeats {literal!r}"
    assert not (ROOT / "surveys/rating_scales.toml").exists()
    assert not (ROOT / "platform/pingyi/core/ratings.py").exists()
