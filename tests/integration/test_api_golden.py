"""Golden files: the exact shape (and every figure) of the results and bulletin JSON APIs for the demo campaign
(issue 11 "explicit msgspec schemas … versioned, with golden-file tests"). SQLite and PostgreSQL give the same file.

Fields random by design are normalised before the comparison (docs/bulletin.md "Versioned schemas and golden
files"): receipt codes, complaint tracking codes (also inside explanation lines), the digest, the times and the
audit heads become placeholders; the shuffled section lists are sorted. Everything else is compared exactly. After
an intended change:
PINGYI_UPDATE_GOLDEN=1 pytest tests/integration/test_api_golden.py, then review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pingyi.publication.schemas import BulletinDocument, ResultsDocument
from tests.integration.test_bulletin import YEAR, demo
from tests.integration.webclient import client_for

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
VOLATILE = ("digest", "computed_at", "published_at", "audit_head", "publication_audit_head")


TRACKING_CODE = re.compile(r"\bC(?:-[0-9A-Z]{4}){4}\b")  # a complaint's tracking code, wherever it is quoted


def _codes_out(value: Any) -> Any:
    if isinstance(value, str):
        return TRACKING_CODE.sub("<tracking_code>", value)
    if isinstance(value, list):
        return [_codes_out(v) for v in value]
    if isinstance(value, dict):
        return {k: _codes_out(v) for k, v in value.items()}
    return value


def normalise_results(doc: dict[str, Any]) -> dict[str, Any]:
    """Tracking codes are replaced wherever they appear (the complaints list and the explanation lines)."""
    return _codes_out({**doc, **{k: f"<{k}>" for k in VOLATILE if doc.get(k) is not None}})


def normalise_bulletin(doc: dict[str, Any]) -> dict[str, Any]:
    out = {**doc, **{k: f"<{k}>" for k in VOLATILE if doc.get(k) is not None}}
    out["receipts"] = ["<receipt>" for _ in doc["receipts"]]
    out["departments"] = [{**d, "sections": None if d["sections"] is None else sorted(d["sections"])}
                          for d in doc["departments"]]
    return out


def compare(name: str, actual: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(actual, ensure_ascii=False, indent=1) + "\n"
    if os.environ.get("PINGYI_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert list(actual) == list(expected), "top-level fields or their order changed"
    assert actual == expected, f"{name}: the API's shape or figures changed (see the module docstring)"


def test_results_and_bulletin_match_their_golden_files(any_settings) -> None:
    clock = demo(any_settings)
    with client_for(any_settings, clock=clock) as client:
        results = client.get(f"/api/v1/results/{YEAR}").json()
        bulletin = client.get(f"/api/v1/bulletin/{YEAR}").json()
    assert results["schema_version"] == 1 and bulletin["schema_version"] == 1
    compare("results-demo.json", normalise_results(results))
    compare("bulletin-demo.json", normalise_bulletin(bulletin))


def test_the_openapi_document_describes_both_documents_field_by_field(sqlite_settings) -> None:
    with client_for(sqlite_settings) as client:
        spec = client.get("/schema/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, struct in (("/api/v1/results/{year}", ResultsDocument), ("/api/v1/bulletin/{year}", BulletinDocument)):
        ref = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        assert name == struct.__name__
        assert set(schemas[name]["properties"]) == set(struct.__struct_fields__)
    department = schemas["BulletinDepartment"]["properties"]
    assert {"section_sum", "rank", "grade", "sections"} <= set(department)
    assert "BulletinKeys" in schemas
