"""Web layer: the signed session cookie, read so that a crafted cookie is simply no session (SPEC §7, §8).

Litestar's ClientSideSessionBackend only ignores a cookie that fails to decrypt or to base64-decode; one that carries
a forged "additional data" part (not JSON, a list, a string expiry) raised TypeError, KeyError or a serialization
error, and the visitor got a 500. Here any failure to read the cookie means an empty session.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig


class TolerantCookieBackend(ClientSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        try:
            data = await super().load_from_connection(connection)
        except Exception:  # noqa: BLE001 - a crafted cookie: treated as no session
            return {}
        return data if isinstance(data, dict) else {}


class TolerantCookieBackendConfig(CookieBackendConfig):
    _backend_class = TolerantCookieBackend
