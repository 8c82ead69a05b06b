"""Contract: the ingest's msgspec fast path (validate.FastEventDecoder) and pingyi_terminal.protocol, the one
definition of the wire format, agree on every field of every event — and the fast path never accepts what the
protocol rejects. No broker or database needed."""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import typing

import msgspec

from pingyi.ratings.ingest.validate import SHAPES, FastEventDecoder, RawMessage, WireEvent, event_facts, sort_batch
from pingyi_terminal import protocol


def _event(**kw) -> protocol.Event:
    base = dict(terminal="t-a", epoch="e1", seq=1, kind="press", level=5, scale="five", flags=(), boot="b1",
                mono_ms=10, wall_ms=1_700_000_000_000, synced=True)
    base.update(kw)
    return protocol.Event(**base)


def _valid_events() -> list[protocol.Event]:
    rng = random.Random(7)
    out = []
    for (kind, level, scale, flags) in SHAPES:
        for _ in range(3):
            out.append(_event(kind=kind, level=level, scale=scale, flags=flags, seq=rng.randint(1, 2**63 - 1),
                              mono_ms=rng.choice([0, rng.randint(0, 2**63 - 1)]), synced=rng.random() < 0.5,
                              wall_ms=rng.choice([0, 1_700_000_000_000, 2**63 - 1])))
    return out


def test_wire_struct_is_protocol_event_field_for_field():
    hints = typing.get_type_hints(protocol.Event)
    fields = [(f.name, hints[f.name]) for f in dataclasses.fields(protocol.Event)]
    assert [(f, t) for f, t in zip(WireEvent.__struct_fields__, [int] + [t for _, t in fields], strict=False)] == \
        [("v", int)] + fields
    ev = _event(flags=("repeat",))
    assert list(json.loads(protocol.encode_event(ev))) == list(WireEvent.__struct_fields__)


def test_fast_path_equals_protocol_on_valid_events():
    dec = FastEventDecoder()
    dec.learn(_event())
    for ev in _valid_events():
        payload = protocol.encode_event(ev)
        w = dec.decode(payload)
        assert w is not None, payload
        ref = protocol.decode_event(payload)
        for f in dataclasses.fields(protocol.Event):
            assert getattr(w, f.name) == getattr(ref, f.name), f.name
        assert event_facts(w) == event_facts(ref) == (",".join(ref.flags), ref.counted, ref.bad)


def _mutations(ev: protocol.Event) -> list[bytes]:
    good = protocol.encode_event(ev)
    obj = json.loads(good)
    out = [good.replace(b",", b", "), good.replace(b'"seq":', b'"seq":1,"seq":'), good[:-1] + b',"x":1}',
           good.replace(b'"v":1', b'"v":2'), good.replace(b'"v":1', b'"v":true'), b"\xff" + good, b"[]", b"",
           good + b" ", good.replace(b"}", b"")]
    for key, values in {"seq": [0, -1, 2**63, 1.0, True, "1", None], "mono_ms": [-1, 2**63, 1.5, False],
                        "wall_ms": [-5, 2**64, None], "level": [0, 6, 4.0, True, "5", None],
                        "kind": ["tap", None, 1], "scale": ["seven", None], "synced": [0, 1, "true", None],
                        "flags": [["repeat", "repeat"], ["nope"], "repeat", None, ["unarmed", "repeat"]],
                        "terminal": ["T-A", "", 5], "epoch": ["", "a b", "x" * 65, 7], "boot": ["b/1", None]}.items():
        for v in values:
            o = dict(obj, **{key: v})
            out.append(json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode())
    for key in obj:
        out.append(json.dumps({k: v for k, v in obj.items() if k != key}, separators=(",", ":")).encode())
    return out


def test_fast_path_never_accepts_what_protocol_rejects_and_agrees_otherwise():
    dec = FastEventDecoder()
    for ev in [_event(), _event(kind="arm", level=None), _event(scale="three", level=3, flags=("unarmed",))]:
        dec.learn(ev)
        for payload in _mutations(ev):
            try:
                ref = protocol.decode_event(payload)
            except protocol.ProtocolError:
                ref = None
            w = dec.decode(payload)
            if ref is None:
                assert w is None, payload
            elif w is not None:
                assert all(getattr(w, f.name) == getattr(ref, f.name) or f.name == "flags"
                           for f in dataclasses.fields(protocol.Event)), payload
                assert event_facts(w) == event_facts(ref)


def test_sort_batch_same_outcome_on_fast_and_slow_paths():
    from pingyi.ratings.ingest.validate import KnownTerminal

    known = {"t-a": KnownTerminal(1, "t-a", 10, 100, "five")}.get
    events = [_event(seq=s, level=lv, flags=fl) for s, (lv, fl) in
              enumerate(itertools.product((5, 4, 3, 2, 1), ((), ("repeat",), ("repeat", "unarmed"))), start=1)]
    msgs = [RawMessage(protocol.event_topic("t-a"), protocol.encode_event(e), 1_700_000_000_500) for e in events]
    cold = sort_batch(msgs, known, FastEventDecoder())  # first sight of the ids: protocol's path, then fast
    warm_dec = FastEventDecoder()
    warm_dec.learn(events[0])
    warm = sort_batch(msgs, known, warm_dec)
    assert list(cold.events) == list(warm.events) == [e.idempotency_key for e in events]
    for k in cold.events:
        a, b = cold.events[k].event, warm.events[k].event
        assert all(getattr(a, f.name) == getattr(b, f.name) for f in dataclasses.fields(protocol.Event))
    assert isinstance(warm.events[events[-1].idempotency_key].event, msgspec.Struct)
    assert cold.samples == warm.samples and cold.acks() == warm.acks()
