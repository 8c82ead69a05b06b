"""Service layer: the web rating channel behind each window's QR poster (SPEC §4, issue 9).

A citizen scans the window's poster, rates on the window terminal's scale with optional reason tags, text and a
call-back phone number. The rating is a row of the same `rating` table (channel "web", event key "web:<uuid>")
under the same rules (protocol.counted, protocol.is_bad, the same flags); its details go to `web_rating`. The
arm-sharing and rate-limit rules are pure, in `pingyi.core.webarm`; docs/rating-rules.md ("Web channel") has the
decisions.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as _secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import webarm
from pingyi.core.errors import DomainError, InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi.settings import WebRatingSettings
from pingyi_terminal import protocol

from . import alerts
from . import web_repository as repo
from .schemas import PosterRecord, WebWindow

# Reason tags (code → label), in the order the page shows them.
TAGS: Final[dict[str, str]] = {"attitude": "态度", "efficiency": "效率", "environment": "环境", "conduct": "规范",
                               "other": "其他"}
TEXT_MAX: Final = 500
# A mainland mobile number, or a landline with its area code (spaces and dashes ignored).
PHONE_RE: Final = re.compile(r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}[0-9]{7,8})$")
DEVICE_COOKIE: Final = "pingyi_device"
DEVICE_RE: Final = re.compile(r"^[0-9a-f]{32}$")
TOKEN_BYTES: Final = 16  # 22 URL-safe characters: unguessable, short enough for a clear QR code
RATE_PATH: Final = "/r/"

CLOSED_MESSAGE: Final = "该二维码已失效或已更换，请扫描窗口现场张贴的最新二维码。"
NO_TERMINAL_MESSAGE: Final = "该窗口暂未开通扫码评价（未登记评价器）。"


class RateLimited(DomainError):
    """Too many web ratings from one device or address within the hour (HTTP 429, nothing stored)."""

    status_hint = 429


@dataclass(frozen=True)
class WebInput:
    """A validated web rating form."""

    level: int
    tags: tuple[str, ...]
    text: str
    contact: str


@dataclass(frozen=True)
class Outcome:
    rating_id: int
    flags: tuple[str, ...]
    counted: bool
    claimed_arm: str | None


# --------------------------------------------------------------------------------------------- form


def scale_choices(scale: str) -> list[tuple[int, str, bool]]:
    """(level, label, is 差评) of a scale, best first — from protocol, the one definition."""
    return [(level, protocol.label(level, scale), protocol.is_bad(level, scale)) for level in protocol.levels(scale)]


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127)).strip()


def parse_form(scale: str, level: str, tags: list[str], text: str, contact: str) -> WebInput:
    """Validate the posted form; InvalidInput names the field (nothing is stored on a refusal)."""
    raw = level.strip()
    if not raw:
        raise InvalidInput("评价等级：请选择一项评价。", {"field": "level"})
    if not re.fullmatch(r"[0-9]{1,2}", raw) or int(raw) not in protocol.SCALES[scale]:
        names = "、".join(protocol.SCALES[scale].values())
        raise InvalidInput(f"评价等级：{raw[:10]!r} 不是本窗口评价器的等级（{names}）。", {"field": "level"})
    picked: list[str] = []
    for tag in tags:
        if tag not in TAGS:
            raise InvalidInput(f"原因标签：{tag[:20]!r} 不是可选的标签（{'、'.join(TAGS.values())}）。",
                               {"field": "tags"})
        if tag not in picked:
            picked.append(tag)
    body = _clean(text).replace("\r\n", "\n")
    if len(body) > TEXT_MAX:
        raise InvalidInput(f"意见建议：最多 {TEXT_MAX} 字，您填写了 {len(body)} 字。", {"field": "text"})
    phone = re.sub(r"[\s-]", "", contact)
    if phone and not PHONE_RE.fullmatch(phone):
        raise InvalidInput("联系电话：请填写 11 位手机号或带区号的固定电话（选填，可留空）。", {"field": "contact"})
    return WebInput(level=int(raw), tags=tuple(t for t in TAGS if t in picked), text=body, contact=phone)


# --------------------------------------------------------------------------------------------- device


def new_device_id() -> str:
    return _secrets.token_hex(16)


def valid_device(value: str | None) -> str | None:
    return value if value and DEVICE_RE.fullmatch(value) else None


def keyed(secret: str, purpose: str, value: str) -> str:
    """A keyed hash (HMAC-SHA256, 32 hex) of a device id or client address: comparable, not reversible."""
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def identities(secret: str, device_cookie: str | None, address: str) -> tuple[str, str]:
    """(device key, address key). Without a device cookie, the client address stands for the device."""
    device = valid_device(device_cookie)
    return (keyed(secret, "device", device) if device else keyed(secret, "device-address", address),
            keyed(secret, "address", address))


# --------------------------------------------------------------------------------------------- page


async def window_for_token(token: str) -> tuple[WebWindow, PosterRecord]:
    """The window a poster token opens; NotFound for an unknown (or rotated) token or a window without terminal."""
    if not token or len(token) > 64:
        raise NotFound(CLOSED_MESSAGE)
    poster = await repo.poster_by_token(token)
    if poster is None:
        raise NotFound(CLOSED_MESSAGE)
    window = await repo.web_window(poster.window_id)
    if window is None or not window.window_active:
        raise NotFound(CLOSED_MESSAGE)
    if window.terminal_pk is None:
        raise NotFound(NO_TERMINAL_MESSAGE)
    return window, poster


async def submit(token: str, form: WebInput | None, *, raw: dict[str, Any] | None = None, device: str, address: str,
                 settings: WebRatingSettings) -> Outcome:
    """Store one web rating (or refuse it with RateLimited, storing nothing). `form`: already parsed; or `raw`
    (level, tags, text, contact), parsed here against the window terminal's scale."""
    window, _ = await window_for_token(token)
    if form is None:
        r = raw or {}
        form = parse_form(window.scale, str(r.get("level", "")), list(r.get("tags", [])), str(r.get("text", "")),
                          str(r.get("contact", "")))
    now = clock.now()
    arm_age = timedelta(minutes=settings.arm_max_age_minutes)
    async with write_transaction():
        assert window.terminal_pk is not None
        await repo.lock_terminals([window.terminal_pk])
        arms = await repo.arms(window.terminal_pk, window.window_id, now - arm_age) if window.armed_mode else []
        by_device, by_window, by_address = await repo.web_times(device=device, address=address,
                                                                window_id=window.window_id,
                                                                since=now - timedelta(hours=1, minutes=1))
        decision = webarm.decide(armed_mode=window.armed_mode, arms=arms, now=now, arm_max_age=arm_age,
                                 device_times=by_device, window_device_times=by_window, address_times=by_address,
                                 repeat_interval=timedelta(minutes=settings.repeat_minutes),
                                 hourly_limit=settings.device_hourly_limit,
                                 address_limit=settings.address_hourly_limit)
        if decision.refused is not None:
            limit = settings.device_hourly_limit if decision.refused == "device" else settings.address_hourly_limit
            raise RateLimited(f"评价过于频繁：同一{'设备' if decision.refused == 'device' else '网络'}一小时内最多评价 "
                              f"{limit} 次，请稍后再试。", {"limit": decision.refused})
        rating_id = await repo.insert_web_rating(
            event_key=f"web:{uuid.uuid4().hex}", window=window, level=form.level, flags=decision.flags, at=now,
            tags=form.tags, text=form.text, contact=form.contact, device=device, address=address)
        if decision.claim is not None:
            await repo.insert_claim(decision.claim, rating_id, now)
    await alerts.check([window.window_id], clock.now())  # live alerts (SPEC §4): after the commit, as the ingest does
    return Outcome(rating_id, decision.flags, decision.counted, decision.claim.key if decision.claim else None)


# --------------------------------------------------------------------------------------------- ingest hook


async def after_ingest(batch: Any) -> int:
    """Called by the ingest inside its batch transaction, after the ratings are inserted: presses whose arm a web
    rating claimed first get the "unarmed" flag and stop counting. Returns how many were flagged.

    `batch.events` maps event keys to sorted events (`.event` a protocol.Event, `.terminal.pk`)."""
    keys: list[str] = []
    terminals: set[int] = set()
    for key, se in batch.events.items():
        ev = se.event
        if ev.kind == "press" and not ev.flags:
            keys.append(key)
            terminals.add(se.terminal.pk)
    if not keys:
        return 0
    await repo.lock_terminals(terminals)
    return await repo.spend_claimed_presses(keys)


# --------------------------------------------------------------------------------------------- posters


def rating_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{RATE_PATH}{token}"


async def _window(window_code: str) -> WebWindow:
    record = await hall.window_by_code(window_code)
    window = await repo.web_window(record.id) if record else None
    if window is None:
        raise NotFound(f"窗口 {window_code!r} 不存在。")
    if window.terminal_pk is None:
        raise NotFound(f"窗口 {window_code} 未登记评价器，无法开通扫码评价（先用 pingyi terminals provision 登记）。")
    return window


async def poster(window_code: str, actor: str) -> tuple[WebWindow, PosterRecord]:
    """The window and its poster token; the first request issues the token (audited)."""
    window = await _window(window_code)
    existing = await repo.poster_for_window(window.window_id)
    if existing is not None:
        return window, existing
    async with write_transaction():
        existing = await repo.poster_for_window(window.window_id)
        if existing is None:
            await repo.insert_poster(window.window_id, _secrets.token_urlsafe(TOKEN_BYTES), actor, clock.now())
            await audit.append(actor, "poster.issue", f"window:{window.window_code}", {"version": 1},
                               in_transaction=True)
    made = await repo.poster_for_window(window.window_id)
    assert made is not None
    return window, made


async def rotate(window_code: str, actor: str) -> int:
    """A new poster token for the window; the old poster stops working at once (audited). Returns the version."""
    window, _ = await poster(window_code, actor)
    async with write_transaction():
        version = await repo.rotate_poster(window.window_id, _secrets.token_urlsafe(TOKEN_BYTES), actor, clock.now())
        await audit.append(actor, "poster.rotate", f"window:{window.window_code}", {"version": version},
                           in_transaction=True)
    return version


async def posters() -> dict[int, PosterRecord]:
    return await repo.posters()


async def details(rating_ids: list[int]) -> dict[int, Any]:
    return await repo.details(rating_ids)
