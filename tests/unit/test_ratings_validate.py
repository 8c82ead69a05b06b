"""Unit tests: sorting raw MQTT messages into events, updates and quarantine (SPEC §4)."""

from pingyi.ratings.ingest.validate import KnownTerminal, RawMessage, sort_batch
from pingyi_terminal import protocol

A = KnownTerminal(1, "t-a", 10, 100, "five")
B = KnownTerminal(2, "t-b", 20, 200, "five")
R = KnownTerminal(3, "t-r", 30, 300, "five", revoked=True)
DIRECTORY = {t.terminal_id: t for t in (A, B, R)}.get


def ev(tid: str, seq: int, **kw) -> bytes:
    fields = dict(terminal=tid, epoch="e1", seq=seq, kind="press", level=1, scale="five", flags=(), boot="b1",
                  mono_ms=1000, wall_ms=1_700_000_000_000, synced=False)
    fields.update(kw)
    return protocol.encode_event(protocol.Event(**fields))


def msg(topic: str, payload: bytes, at: int = 1_700_000_000_500) -> RawMessage:
    return RawMessage(topic, payload, at)


def test_valid_events_and_duplicates_in_batch():
    out = sort_batch([msg(protocol.event_topic("t-a"), ev("t-a", 1)), msg(protocol.event_topic("t-a"), ev("t-a", 1)),
                      msg(protocol.event_topic("t-a"), ev("t-a", 2))], DIRECTORY)
    assert list(out.events) == ["t-a:e1:1", "t-a:e1:2"]
    assert out.duplicates_in_batch == 1
    assert out.acks() == {("t-a", "e1"): [1, 2]}
    assert not out.quarantine
    assert out.samples[(1, "b1")] == [(1_700_000_000_500 - 1000, False)] * 2


def test_forged_payload_on_own_topic_is_quarantined():
    """A (authorised on its own topic) sends an event claiming to be B: quarantined with the raw bytes, not acked."""
    raw = ev("t-b", 7)
    out = sort_batch([msg(protocol.event_topic("t-a"), raw)], DIRECTORY)
    assert not out.events and out.acks() == {}
    (q,) = out.quarantine
    assert "mismatch" in q.reason and q.raw == raw and q.terminal_id == "t-a"


def test_unknown_revoked_unparsable_and_bad_topic():
    out = sort_batch([
        msg(protocol.event_topic("t-zz"), ev("t-zz", 1)),
        msg(protocol.event_topic("t-r"), ev("t-r", 1)),
        msg(protocol.event_topic("t-a"), b"\xff\x00not json"),
        msg(protocol.event_topic("t-a"), b'{"v":1}'),
        msg("pingyi/v1/t/t-a/bogus", b"{}"),
        msg(protocol.ack_topic("t-a"), b"{}"),
    ], DIRECTORY)
    reasons = [q.reason for q in out.quarantine]
    assert len(reasons) == 6
    assert reasons[0].startswith("unknown terminal") and reasons[1].startswith("revoked terminal")
    assert reasons[2].startswith("payload:") and reasons[3].startswith("payload:")
    assert reasons[4].startswith("topic:") and "not sent by terminals" in reasons[5]


def test_status_and_heartbeat_update_terminal():
    hb = protocol.encode_heartbeat(protocol.Heartbeat(terminal="t-b", boot="b9", mono_ms=5000,
                                                      wall_ms=1_700_000_000_000, synced=True, queue=12, uptime_s=5,
                                                      version="1.0", scale="five"))
    st = protocol.encode_status(protocol.Status(state="offline", boot="b9", version="1.0"))
    out = sort_batch([msg(protocol.heartbeat_topic("t-b"), hb), msg(protocol.status_topic("t-b"), st)], DIRECTORY)
    up = out.updates[2]
    assert (up.online, up.queue, up.synced, up.version, up.boot) == (False, 12, True, "1.0", "b9")
    assert out.samples[(2, "b9")] == [(1_700_000_000_000 - 5000, True)]


def test_clock_flag_uncounts_by_protocols_rule():
    """An out-of-bounds event is stored with "clock" added to its flags; counted and bad follow protocol.py."""
    from pingyi.ratings.ingest.validate import CLOCK_SHAPES, SHAPES

    assert CLOCK_SHAPES.keys() == SHAPES.keys()
    for (kind, _level, _scale, sent), (flags, counted, bad) in CLOCK_SHAPES.items():
        assert protocol.FLAG_CLOCK in flags.split(",") and flags.split(",") == sorted(flags.split(","))
        assert counted is protocol.counted(kind, tuple(flags.split(","))) is False
        assert bad is SHAPES[(kind, _level, _scale, sent)][2]
    assert CLOCK_SHAPES[("press", 1, "five", ())] == ("clock", False, True)
    assert CLOCK_SHAPES[("press", 5, "five", ("repeat",))] == ("clock,repeat", False, False)
    assert set(protocol.FLAG_LABELS) == {*protocol.FLAGS, protocol.FLAG_CLOCK}


def test_forged_heartbeat_clock_is_not_exact():
    now = 1_800_000_000_000
    hb = protocol.encode_heartbeat(protocol.Heartbeat(terminal="t-a", boot="b1", mono_ms=6_000,
                                                      wall_ms=1_577_750_400_000, synced=True, queue=0, uptime_s=6,
                                                      version="1", scale="five"))
    out = sort_batch([msg(protocol.heartbeat_topic("t-a"), hb, now)], DIRECTORY)
    assert list(out.samples.values()) == [[(now - 6_000, False)]]
