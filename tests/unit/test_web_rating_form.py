"""Unit: the web rating form, device identities, the poster's text and the redaction of poster paths (issue 9)."""

from __future__ import annotations

import pytest

from pingyi.core.errors import InvalidInput
from pingyi.ratings import poster, web_rating
from pingyi.web.redact import redact_path
from pingyi_terminal import protocol


def test_choices_come_from_protocol():
    assert web_rating.scale_choices("five") == [(lv, protocol.label(lv, "five"), protocol.is_bad(lv, "five"))
                                                for lv in protocol.levels("five")]
    assert [c[1] for c in web_rating.scale_choices("three")] == list(protocol.THREE_SCALE.values())
    assert list(web_rating.TAGS.values()) == ["态度", "效率", "环境", "规范", "其他"]


def test_valid_form_is_normalised():
    got = web_rating.parse_form("five", " 2 ", ["other", "attitude", "attitude"], " 太慢\r\n了\x07 ", "138-0013 8000")
    assert got == web_rating.WebInput(level=2, tags=("attitude", "other"), text="太慢\n了", contact="13800138000")
    assert web_rating.parse_form("three", "1", [], "", "0571-87654321").contact == "057187654321"
    assert web_rating.parse_form("five", "5", [], "长" * 500, "").text == "长" * 500


@pytest.mark.parametrize("scale, level, tags, text, contact, field", [
    ("five", "", [], "", "", "level"),
    ("five", "0", [], "", "", "level"),
    ("five", "6", [], "", "", "level"),
    ("three", "2", [], "", "", "level"),
    ("five", "-1", [], "", "", "level"),
    ("five", "²", [], "", "", "level"),
    ("five", "5", ["态度"], "", "", "tags"),
    ("five", "5", ["attitude", ""], "", "", "tags"),
    ("five", "5", [], "长" * 501, "", "text"),
    ("five", "5", [], "", "1380013800", "contact"),
    ("five", "5", [], "", "23800138000", "contact"),
    ("five", "5", [], "", "abc", "contact"),
    ("five", "5", [], "", "１３８００１３８０００", "contact"),
])
def test_bad_form_names_the_field(scale, level, tags, text, contact, field):
    with pytest.raises(InvalidInput) as info:
        web_rating.parse_form(scale, level, tags, text, contact)
    assert info.value.details["field"] == field
    label = {"level": "评价等级", "tags": "原因标签", "text": "意见建议", "contact": "联系电话"}[field]
    assert info.value.message.startswith(label)


def test_identities_are_keyed_hashes():
    dev, addr = web_rating.identities("k" * 64, "a" * 32, "10.0.0.7")
    assert len(dev) == len(addr) == 32 and "10.0.0.7" not in addr
    assert web_rating.identities("k" * 64, "a" * 32, "10.0.0.8")[0] == dev  # same phone, other network
    assert web_rating.identities("x" * 64, "a" * 32, "10.0.0.7")[0] != dev  # keyed by the secret
    # no (or a forged) device cookie: the address stands for the device
    assert web_rating.identities("k" * 64, None, "10.0.0.7")[0] == web_rating.identities("k" * 64, "zz", "10.0.0.7")[0]
    assert web_rating.identities("k" * 64, None, "10.0.0.7")[0] != dev


def test_poster_paths_are_redacted():
    assert redact_path("/r/AbCdEfGhIjKlMnOpQrStUv") == "/r/[redacted]"
    assert redact_path("/r/AbCdEfGhIjKlMnOpQrStUv/done") == "/r/[redacted]/done"


def test_poster_text_and_size():
    text = poster.poster_text("县招商局", "W-1 综合窗口", "five")
    assert "扫码评价" in text and "非常不满意" in text and "县招商局" in text
    with pytest.raises(InvalidInput):
        poster.render_poster(department="县招商局", window="W-1", scale="five", url="http://x/r/t", size="B5")
