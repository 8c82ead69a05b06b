"""Unit tests for pingyi.core.cardcodes (SPEC §3, §5): entropy, formatting, forgiving normalization."""

import hashlib
import re

import pytest

from pingyi.core.cardcodes import (
    ALPHABET,
    format_code,
    mint_receipt,
    mint_token,
    mint_tracking_code,
    normalize_code,
    normalize_receipt,
    normalize_tracking_code,
    token_hash,
)
from pingyi.core.errors import InvalidInput


def test_alphabet_is_crockford_without_ambiguous_letters():
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)


def test_tokens_are_26_chars_130_bits_and_unique_over_10k():
    tokens = {mint_token() for _ in range(10_000)}
    assert len(tokens) == 10_000
    assert all(len(t) == 26 and set(t) <= set(ALPHABET) for t in tokens)
    assert 26 * 5 >= 128
    # every position takes many values (no constant prefix / padding)
    assert all(len({t[i] for t in tokens}) == 32 for i in range(26))


def test_format_and_normalize_round_trip():
    for _ in range(200):
        t = mint_token()
        shown = format_code(t)
        assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){3}-[0-9A-Z]{6}", shown)
        assert normalize_code(shown) == t
        assert normalize_code(shown.lower().replace("-", " ")) == t


def test_normalize_is_forgiving_with_lookalikes_and_fullwidth():
    t = "0123456789ABCDEFGHJKMNPQRS"
    typed = "oi23456789abcdefghjkmnpqrs"  # O → 0, I → 1
    assert normalize_code(typed) == t
    assert normalize_code("Ol23456789ABCDEFGHJKMNPQRS") == t  # L → 1
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHJKMNPQRS")
    assert normalize_code(fullwidth[:5] + "－" + fullwidth[5:]) == t


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("", id="empty"),
        pytest.param("0123456789ABCDEFGHJKMNPQR", id="25 chars"),
        pytest.param("0123456789ABCDEFGHJKMNPQRST", id="27 chars"),
        pytest.param("0123456789ABCDEFGHJKMNPQRU", id="U not in alphabet"),
        pytest.param("0123456789ABCDEFGHJKMNPQR!", id="punctuation"),
        pytest.param(None, id="not a string"),
    ],
)
def test_normalize_rejects_bad_input(typed):
    with pytest.raises(InvalidInput) as err:
        normalize_code(typed)
    assert err.value.message.startswith("卡号格式不正确")


def test_token_hash_is_sha256_of_normalized_token():
    t = mint_token()
    assert token_hash(t) == hashlib.sha256(t.encode()).hexdigest()
    assert token_hash(format_code(t).lower()) == token_hash(t)
    assert token_hash(t) != token_hash(mint_token())


def test_receipts():
    receipts = {mint_receipt() for _ in range(10_000)}
    assert len(receipts) == 10_000
    for r in list(receipts)[:100]:
        assert re.fullmatch(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", r)
        assert normalize_receipt(r) == r
        assert normalize_receipt(r[2:].lower().replace("-", "")) == r
    with pytest.raises(InvalidInput):
        normalize_receipt("R-1234-5678")


def test_tracking_codes():
    codes = {mint_tracking_code() for _ in range(10_000)}
    assert len(codes) == 10_000
    for c in list(codes)[:100]:
        assert re.fullmatch(r"C(-[0-9A-Z]{4}){4}", c)
        assert normalize_tracking_code(c.lower()) == c
    with pytest.raises(InvalidInput):
        normalize_tracking_code("C-1234")
