"""Property tests: nothing a visitor sends causes a server error (SPEC §8 "Running it for real").

- schemathesis generates requests from the app's own OpenAPI schema (/schema/openapi.json: every route, its path
  and query parameters and JSON bodies) against a real served instance, on SQLite and PostgreSQL;
- Hypothesis posts hostile values into every HTML form the route table holds (each POST route outside /api/),
  logged in as the office admin so the guards let the body through, with a valid CSRF token.

Each run asserts that no response is a 5xx; CASES counts the requests (printed at the end of the module).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import shutil
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingyi import db
from pingyi.accounts import service as accounts
from pingyi.publication import service as publication
from pingyi.settings import RateLimits, Settings
from tests.conftest import _pg_admin, _pg_base, settings_for

from .helpers import full_section, open_campaign, run
from .server import running_server
from .webclient import client_for, csrf_from, login

CASES: Counter[str] = Counter()
SERVER_ERRORS: list[str] = []
HIGH_LIMITS = {f"PINGYI_RATE_{g}": "100000/minute" for g in ("LOGIN", "COMPLAINT", "RECEIPT", "CHART")}

BIG = ["99999999999999999999", "-99999999999999999999", "2147483648", "-2147483649", "9" * 400, "1e309", "0x10"]
HOSTILE_TEXT = ["", " ", "\x00", "a\x00b", "\r\n", "\x1b[31m", "\u202e", "\ufeff", "%00", "../../etc/passwd",
                "<script>alert(1)</script>", "' OR 1=1 --", "县招商局" * 200, "x" * 5000, "D07", "2026", "open",
                "close", "investigate", "substantiate", "serious", "phone", "C-7K2M-Q9XD-4HZT-8WPA",
                "R-7K2M-Q9XD-4HZT", "null", "[]", "{}", "１２３", "🙂", *BIG]
texts = st.one_of(st.sampled_from(HOSTILE_TEXT),
                  st.text(st.characters(exclude_categories=("Cs",)), max_size=40))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def module_settings(request, tmp_path_factory) -> Iterator[Settings]:
    """Like the sqlite_settings / pg_settings fixtures of conftest, for one module."""
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        path = tmp / "pingyi.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        s = settings_for(f"sqlite:///{path}", tmp)
        db.use_engine(db.make_engine(s.database))
        yield s
        return
    name = f"pingyi_fz_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"'))
    s = settings_for(f"{_pg_base()}/{name}", tmp)
    db.use_engine(db.make_engine(s.database))
    yield s
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def served(module_settings) -> Iterator[str]:
    s = module_settings

    async def setup():
        from pingyi.evaluation import service as evaluation

        tokens = await open_campaign(s, year=2025, cards=3)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {})
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")
        await open_campaign(s, year=2026, cards=3)

    run(s, setup)
    saved = {k: os.environ.get(k) for k in HIGH_LIMITS}
    os.environ.update(HIGH_LIMITS)
    try:
        with running_server(s) as base:
            yield base
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_openapi_operations_never_answer_a_server_error(served):
    """Every operation of the served OpenAPI schema, with schemathesis' generated cases (valid and not)."""
    api = schemathesis.openapi.from_url(f"{served}/schema/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            response = case.call(base_url=served, timeout=30)
            CASES["openapi"] += 1
            if response.status_code >= 500:
                SERVER_ERRORS.append(f"{case.method} {case.formatted_path} {case.query} → {response.status_code}")
            assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body)

        call()


# ---------------------------------------------------------------------------------------- HTML forms

PARAM = re.compile(r"\{(\w+):(\w+)\}")


def form_routes(app) -> list[str]:
    """Every POST route that is an HTML form (the JSON API is covered by the OpenAPI run)."""
    out = []
    for route in app.routes:
        methods = getattr(route, "methods", set())
        if "POST" in methods and not route.path.startswith(("/api/", "/schema")):
            out.append(route.path)
    return sorted(set(out))


def form_fields(app) -> list[str]:
    """Every field name the app's HTML forms use, read from the templates."""
    from pingyi.app import PACKAGE_DIR

    names: set[str] = set()
    for template in (PACKAGE_DIR / "templates").rglob("*.html"):
        names.update(re.findall(r'name="([^"{}]+)"', template.read_text(encoding="utf-8")))
    names.discard("_csrf_token")
    return sorted(names | {"a.D07.A1", "o.D07", "d"})


def path_value(kind: str) -> st.SearchStrategy[str]:
    if kind == "int":
        return st.one_of(st.sampled_from(["2025", "2026", "1", "0", *BIG[:4]]),
                         st.integers(-(2 ** 70), 2 ** 70).map(str))
    return st.one_of(st.sampled_from(["open", "close", "x", "C-7K2M-Q9XD-4HZT-8WPA", "investigate", "a\x00b"]),
                     st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/?#"), min_size=1,
                             max_size=30))


def test_every_html_form_survives_hostile_input(any_settings):
    high = ("minute", 100_000)
    s = dataclasses.replace(any_settings, rate_limits=RateLimits(login=high, complaint=high, receipt=high, chart=high))

    async def setup():
        await open_campaign(s, year=2026, cards=3)
        await accounts.create_user("boss", "password-12", "admin", actor="test")

    run(s, setup)
    with client_for(s) as client:
        client.app.debug = False
        routes = form_routes(client.app)
        fields = form_fields(client.app)
        assert len(routes) >= 10 and {"/login", "/complaints/new", "/b/{token:str}"} <= set(routes)
        login(client, "boss", "password-12")
        token = csrf_from(client.get("/office/campaigns").text)

        @given(route=st.sampled_from(routes), data=st.data())
        @settings(max_examples=40 * len(routes), deadline=None, suppress_health_check=list(HealthCheck))
        def post_hostile(route, data):
            path = PARAM.sub(lambda m: quote(data.draw(path_value(m.group(2))), safe=""), route)
            body = data.draw(st.dictionaries(st.sampled_from(fields), texts, max_size=6))
            body["_csrf_token"] = token
            with contextlib.suppress(UnicodeEncodeError):
                response = client.post(path, data=body, follow_redirects=False)
                CASES["forms"] += 1
                if response.status_code >= 500:
                    SERVER_ERRORS.append(f"POST {path} {body!r} → {response.status_code}")
                assert response.status_code < 500, (path, body, response.text[:300])
                if path == "/logout" or response.status_code == 303 and response.headers.get("location") == "/":
                    login(client, "boss", "password-12")  # the fuzzer logged itself out: log in again

        post_hostile()


def teardown_module() -> None:
    print(f"\n[fuzz] cases run: {dict(CASES)}; server errors: {len(SERVER_ERRORS)}", file=sys.__stdout__)
    for line in SERVER_ERRORS[:20]:
        print(f"[fuzz]   {line}", file=sys.__stdout__)
