"""Integration: logs without secrets, security headers, no stray CSRF cookies, rate limits, private data files
(SPEC §8 "Running it for real")."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import stat
from datetime import date

import pytest
from litestar.testing import TestClient

from pingyi.accounts import service as accounts
from pingyi.app import create_app
from pingyi.complaints import service as complaints
from pingyi.publication import service as publication
from pingyi.settings import RateLimits

from .helpers import full_section, open_campaign, run
from .webclient import client_for, login, post_form


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_server_errors_are_logged_with_traceback_and_without_secrets(sqlite_settings, monkeypatch):
    s = sqlite_settings
    tokens = run(s, lambda: open_campaign(s, year=2026, cards=1))
    tracking = "C-7K2M-Q9XD-4HZT-8WPA"

    async def broken(token):
        raise RuntimeError(f"database fell over reading {token} for {tracking} \x1b[31m\r\nFAKE LOG LINE")

    from pingyi.evaluation import service as evaluation

    monkeypatch.setattr(evaluation, "ballot_form", broken)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("pingyi.errors")
    with TestClient(create_app(s), raise_server_exceptions=False) as client:
        logger.addHandler(handler)
        try:
            response = client.get(f"/b/{tokens[0]}")
        finally:
            logger.removeHandler(handler)
    assert response.status_code == 500 and "服务器内部错误" in response.text
    assert tokens[0] not in response.text and "fell over" not in response.text
    logged = stream.getvalue()
    assert "Traceback (most recent call last)" in logged and "RuntimeError" in logged and "broken" in logged
    assert "/b/[redacted]" in logged
    assert tokens[0] not in logged and tracking not in logged and "[redacted]" in logged
    assert "\x1b" not in logged and "\r" not in logged and "\nFAKE LOG LINE" not in logged


def test_access_log_hides_tracking_codes_and_control_characters(sqlite_settings):
    s = sqlite_settings

    async def setup():
        await open_campaign(s, year=2026, cards=1)
        await accounts.create_user("inv", "password-12", "investigator", actor="test")
        return await complaints.file_complaint("D07", "推诿", received_on=date(2026, 3, 2))

    code = run(s, setup)
    with client_for(s) as client:
        assert client.get(f"/api/v1/complaints/{code}").status_code == 200
        assert client.get(f"/api/v1/complaints/{code.replace('-', '').lower()}").status_code in (200, 404)
        client.post("/office/campaigns/2026/x%0a2026-12-02 12:00:00 GET forged 200 1.0ms")
        client.get(f"/nowhere/{code}")
        login(client, "inv", "password-12")
        assert post_form(client, "/office/complaints", f"/office/complaints/{code}/investigate", {}).status_code == 303
    log = s.http.access_log.read_text()
    bare = code.replace("-", "")
    assert code not in log and bare not in log and bare.lower() not in log and bare[1:] not in log
    assert "/api/v1/complaints/[redacted]" in log and "/office/complaints/[redacted]/investigate" in log
    lines = log.splitlines()
    assert not any(line.startswith("2026-12-02 12:00:00 GET forged") for line in lines)
    assert any("POST /office/campaigns/2026/x2026-12-02 12:00:00 GET forged 200 1.0ms 403" in line
               for line in lines), log  # one line, and the status the visitor got (CSRF refusal)


def test_security_headers_on_every_response_and_csrf_cookie_only_on_pages(sqlite_settings):
    s = sqlite_settings

    async def setup():
        tokens = await open_campaign(s, year=2026, cards=1)
        from pingyi.evaluation import service as evaluation

        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {})
        await evaluation.change_state(2026, "close", actor="test")
        await publication.publish(2026, (await publication.compute_snapshot(2026, actor="test"))["version"],
                                  actor="test")
        return (await open_campaign(s, year=2027, cards=1))[0]

    token = run(s, setup)
    with client_for(s) as client:
        for path in ("/", "/login", "/static/pingyi.css", "/health", "/api/v1/results/2026",
                     "/results/2026/ranking.svg", "/no-such-page", "/schema/openapi.json", "/results/9999999999"):
            r = client.get(path)
            assert r.status_code < 500, path
            csp = r.headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in csp, path
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["referrer-policy"] in ("same-origin", "no-referrer"), path
            assert r.headers["x-frame-options"] == "DENY", path
        assert "script-src 'self'" in client.get("/").headers["content-security-policy"]
        assert client.get(f"/b/{token}").headers["referrer-policy"] == "no-referrer"  # the ballot page's own stays
    for path in ("/static/pingyi.css", "/health", "/api/v1/results/2026", "/results/2026/ranking.svg",
                 "/api/v1/bulletin/2026"):
        with client_for(s) as fresh:
            r = fresh.get(path)
            assert r.status_code == 200, path
            assert "csrftoken" not in r.headers.get("set-cookie", ""), path
            assert "csrftoken" not in fresh.cookies, path
    with client_for(s) as fresh:
        assert "csrftoken" in fresh.get("/login").headers.get("set-cookie", "")


def _limited(s, **limits):
    return dataclasses.replace(s, rate_limits=dataclasses.replace(RateLimits(), **limits))


def test_rate_limits_on_login_complaints_receipts_and_charts(sqlite_settings):
    s = _limited(sqlite_settings, login=("minute", 3), complaint=("minute", 2), receipt=("minute", 4),
                 chart=("minute", 5))

    async def setup():
        await open_campaign(s, year=2026, cards=1)
        await accounts.create_user("boss", "password-12", "admin", actor="test")

    run(s, setup)
    with client_for(s) as client:
        wrong = {"username": "boss", "password": "wrong-password"}
        statuses = [post_form(client, "/login", "/login", wrong).status_code for _ in range(4)]
        assert statuses == [400, 400, 400, 429]
        refused = post_form(client, "/login", "/login", {"username": "boss", "password": "password-12"})
        assert refused.status_code == 429 and "请求过于频繁" in refused.text
        assert "ratelimit-limit" in {k.lower() for k in refused.headers}
        assert client.get("/login").status_code == 200  # the page itself is not limited
        filed = [post_form(client, "/complaints/new", "/complaints/new",
                           {"department": "D07", "summary": "推诿"}).status_code for _ in range(3)]
        assert filed == [200, 200, 429]
        assert [client.get("/receipt").status_code for _ in range(5)] == [200] * 4 + [429]
        charts = [client.get("/results/2026/ranking.svg").status_code for _ in range(6)]
        assert charts == [404] * 5 + [429]  # not published: still counted
        assert client.get("/results").status_code == 200  # other routes are not limited


def test_rate_limit_settings_from_the_environment(tmp_path):
    from pingyi.settings import Settings, SettingsError

    s = Settings.from_env({"PINGYI_DATA_DIR": str(tmp_path), "PINGYI_RATE_LOGIN": "5/hour"})
    assert s.rate_limits.login == ("hour", 5) and s.rate_limits.chart == RateLimits().chart
    with pytest.raises(SettingsError, match="PINGYI_RATE_CHART"):
        Settings.from_env({"PINGYI_DATA_DIR": str(tmp_path), "PINGYI_RATE_CHART": "lots"})


def test_data_folder_files_are_private(tmp_path):
    from pingyi import db
    from tests.conftest import settings_for

    old = os.umask(0o022)
    try:
        data = tmp_path / "fresh" / "data"
        s = dataclasses.replace(settings_for(f"sqlite:///{data / 'pingyi.sqlite3'}", data),
                                http=dataclasses.replace(settings_for("sqlite:///x", data).http, secret_key=""))
        import asyncio

        asyncio.run(db.migrate(db.make_engine(s.database)))
        with TestClient(create_app(s)) as client:
            assert client.get("/health").status_code == 200
    finally:
        os.umask(old)
    assert _mode(data) == 0o700 and _mode(tmp_path / "fresh") == 0o700
    for name in ("pingyi.sqlite3", "secret_key", "access.log"):
        assert _mode(data / name) == 0o600, name
    for extra in data.glob("pingyi.sqlite3-*"):
        assert _mode(extra) == 0o600, extra.name


def test_demo_card_file_is_private_from_the_start(sqlite_settings, tmp_path, monkeypatch):
    """The demo's unused-card file holds ballot URLs: created 0600, never readable by others even briefly."""
    from pingyi.ops import demo

    seen = []
    real_open = type(tmp_path).open

    def spy(self, *args, **kwargs):
        if self.name.startswith("demo-cards"):
            seen.append(_mode(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(type(tmp_path), "open", spy)
    old = os.umask(0o022)
    try:
        demo._write_demo_cards(tmp_path / "new" / "demo-cards-2026.csv", "http://x", ["A" * 26])
    finally:
        os.umask(old)
    assert seen == [0o600] and _mode(tmp_path / "new") == 0o700


def test_templates_need_nothing_the_content_security_policy_forbids():
    """CSP has script-src 'self': no inline scripts, no javascript: URLs, no on* handler attributes."""
    import re

    from pingyi.app import PACKAGE_DIR

    bad = re.compile(r"<script(?![^>]*\bsrc=)|javascript:|\son[a-z]+\s*=", re.I)
    offenders = [f"{t.relative_to(PACKAGE_DIR)}: {m.group(0)}" for t in (PACKAGE_DIR / "templates").rglob("*.html")
                 for m in bad.finditer(t.read_text(encoding="utf-8"))]
    assert offenders == []
