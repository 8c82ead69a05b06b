"""The pure-Python Ed25519 verification (pingyi.core.ed25519, RFC 8032 §6) agrees with `cryptography` (SPEC §3:
the bulletin verifier runs with the standard library only)."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pingyi.core import ed25519


def test_rfc8032_test_vector_1() -> None:
    """RFC 8032 §7.1 TEST 1: the empty message under the published key and signature."""
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
                              "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert ed25519.verify(public, b"", signature)
    assert not ed25519.verify(public, b"\x00", signature)


@pytest.mark.parametrize("seed", range(12))
def test_random_keys_and_messages_agree_with_cryptography(seed: int) -> None:
    rng = random.Random(seed)
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    message = rng.randbytes(rng.choice([0, 1, 31, 32, 64, 200, 5000]))
    signature = key.sign(message)
    assert ed25519.verify(public, message, signature)
    # one flipped bit anywhere in the signature, the message or the key: both implementations refuse
    for target in ("signature", "message", "key"):
        sig, msg, pub = bytearray(signature), bytearray(message or b"\x00"), bytearray(public)
        buf = {"signature": sig, "message": msg, "key": pub}[target]
        bit = rng.randrange(len(buf) * 8)
        buf[bit // 8] ^= 1 << (bit % 8)
        if target == "message" and not message:
            msg = bytearray(b"\x01")
        ours = ed25519.verify(bytes(pub), bytes(msg), bytes(sig))
        try:
            Ed25519PublicKey.from_public_bytes(bytes(pub)).verify(bytes(sig), bytes(msg))
            theirs = True
        except Exception:
            theirs = False
        assert ours is theirs is False, (target, bit)


def test_another_keys_signature_is_refused() -> None:
    message = b"bulletin manifest"
    signature = Ed25519PrivateKey.generate().sign(message)
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert not ed25519.verify(other, message, signature)


def test_non_canonical_scalar_and_bad_lengths_are_refused() -> None:
    """s + L is the same scalar modulo L; RFC 8032 §5.1.7 requires refusing s ≥ L (malleability)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    signature = key.sign(b"m")
    s = int.from_bytes(signature[32:], "little") + ed25519.L
    if s < 2**256:
        assert not ed25519.verify(public, b"m", signature[:32] + s.to_bytes(32, "little"))
    assert not ed25519.verify(public[:31], b"m", signature)
    assert not ed25519.verify(public, b"m", signature[:63])
    assert not ed25519.verify(b"\xff" * 32, b"m", signature)  # y ≥ p: not a point
