"""Web layer: the one edge check of what a visitor sends, before any handler runs (SPEC §8 "Running it for real").

Rejected with HTTP 400 and a Chinese message, so nothing is stored and no database driver sees the value:
- a NUL character (or, in JSON, a lone surrogate) anywhere in the path, the query string, a form field or a JSON
  string: PostgreSQL text cannot hold U+0000 and SQLite would store it;
- an integer in the path, or in a query parameter the handler declares as an integer, outside the 32-bit range of
  the database's INTEGER columns (e.g. ``/receipt?year=99999999999999999999``);
- a JSON body nested deeper than MAX_JSON_DEPTH (msgspec raises RecursionError on 5,000 levels).

It runs inside Litestar's middleware stack (the route is already resolved), reads the body through Litestar's
Request (which caches it for the handler) and raises ClientException, which the app's HTTP error handler renders.
"""

from __future__ import annotations

import types
import typing
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.exceptions import ClientException

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
MAX_JSON_DEPTH = 64
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

NUL_MESSAGE = "内容中含有不允许的空字符（\\0），请删除后重新提交。"
SURROGATE_MESSAGE = "内容中含有无效的 Unicode 字符，请删除后重新提交。"
DEPTH_MESSAGE = f"JSON 嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）。"


def range_message(name: str) -> str:
    return f"参数 {name} 的数值超出范围（{INT_MIN} 至 {INT_MAX}）。"


class Rejected(ClientException):
    """A 400 raised by the input guard (its detail is the Chinese message)."""


def check_text(value: str) -> None:
    if "\x00" in value:
        raise Rejected(detail=NUL_MESSAGE)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(detail=SURROGATE_MESSAGE) from None


def check_int(name: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        raise Rejected(detail=range_message(name))


def check_json(value: Any, depth: int = 0) -> None:
    """Every string (keys included) free of NUL and surrogates, every integer in range, depth bounded."""
    if depth > MAX_JSON_DEPTH:
        raise Rejected(detail=DEPTH_MESSAGE)
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, int):
        check_int("(JSON)", value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth + 1)


def _declares_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _declares_int(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return any(_declares_int(arg) for arg in typing.get_args(annotation))
    return False


def _int_query_names(route_handler: Any) -> frozenset[str]:
    cached = getattr(route_handler, "_pingyi_int_query", None)
    if cached is None:
        params = getattr(getattr(route_handler, "parsed_fn_signature", None), "parameters", {}) or {}
        cached = frozenset(name for name, field in params.items() if _declares_int(field.annotation))
        route_handler._pingyi_int_query = cached
    return cached


def _check_query(scope: Any) -> None:
    raw = scope.get("query_string", b"")
    if not raw:
        return
    ints = _int_query_names(scope.get("route_handler"))
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
        check_text(key)
        check_text(value)
        if key in ints:
            text = value.strip()
            if text.lstrip("+-").isdigit():
                check_int(key, int(text))


class InputGuardMiddleware:
    """Pure ASGI middleware; `app` is the rest of the route's stack."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            check_text(scope.get("path", ""))
            for name, value in (scope.get("path_params") or {}).items():
                if isinstance(value, str):
                    check_text(value)
                check_int(name, value)
            _check_query(scope)
            if scope.get("method") in BODY_METHODS:
                await self._check_body(scope, receive)
        await self.app(scope, receive, send)

    async def _check_body(self, scope: Any, receive: Any) -> None:
        request = scope["litestar_app"].request_class(scope, receive)
        content_type, _ = request.content_type
        if content_type == "application/x-www-form-urlencoded" or content_type.startswith("multipart/"):
            form = await request.form()  # cached on the connection for the handler
            for key, value in form.multi_items():
                check_text(key)
                if isinstance(value, str):
                    check_text(value)
        elif content_type.endswith("json"):
            body = await request.body()  # cached on the connection for the handler
            if not body:
                return
            try:
                decoded = msgspec.json.decode(body)
            except RecursionError:
                raise Rejected(detail=DEPTH_MESSAGE) from None
            except msgspec.DecodeError:
                return  # malformed JSON: the handler's own decoding answers 400
            check_json(decoded)
