"""Test helpers for the web layer: an app client on a prepared database, CSRF-aware form posts, login."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from pingyi.app import create_app
from pingyi.clock import Clock
from pingyi.settings import Settings

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def client_for(settings: Settings, *, clock: Clock | None = None) -> TestClient:
    app = create_app(settings, clock=clock)
    app.debug = True  # a 500 in a test shows its traceback in the response body
    return TestClient(app, raise_server_exceptions=True)


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def post_form(client: TestClient, page_path: str, action: str, data: dict[str, Any] | list[tuple[str, str]],
              **kwargs: Any):
    """GET the page that holds the form (sets the CSRF cookie), then POST the form with its token."""
    page = client.get(page_path)
    token = csrf_from(page.text)
    items = dict(data)
    items["_csrf_token"] = token
    return client.post(action, data=items, follow_redirects=False, **kwargs)


def login(client: TestClient, username: str, password: str):
    response = post_form(client, "/login", "/login", {"username": username, "password": password, "next": "/office"})
    assert response.status_code == 303, response.text
    return response
