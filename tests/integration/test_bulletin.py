"""Integration: the demo's published year has a signed bulletin that anyone can check (SPEC §3, issue 11).

Downloads over HTTP (JSON, CSV, signatures, the office key), the verifier run the way a journalist runs it
(`python -I platform/verify_bulletin.py`, so no pingyi import from an install is possible) and as
`pingyi verify-bulletin`; each tampering fails naming the part; key rotation keeps old bulletins checkable.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pingyi.cli import run_db
from pingyi.clock import FixedClock
from pingyi.core import bulletin_check
from pingyi.ops.demo import load_demo
from pingyi.settings import Settings
from tests.integration.webclient import client_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "platform" / "verify_bulletin.py"
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
YEAR = 2025  # the demo's published year at NOW


def demo(settings: Settings) -> FixedClock:
    clock = FixedClock(NOW)
    run_db(settings, lambda: load_demo(settings), clock=clock)
    return clock


# The journalist's way: isolated (-I: no PYTHONPATH, no user site, no cwd on the path) and without any
# site-packages (-S), so neither an installed pingyi nor `cryptography` can be imported: the standard library only.
BARE = [sys.executable, "-I", "-S"]


def script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BARE, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=60, cwd="/")


def test_the_bare_interpreter_really_has_nothing_installed() -> None:
    for module in ("cryptography", "msgspec", "litestar"):
        probe = subprocess.run([*BARE, "-c", f"import {module}"], capture_output=True, text=True, cwd="/")
        assert probe.returncode != 0, module
    probe = subprocess.run([*BARE, "-c", "import pingyi"], capture_output=True, text=True, cwd="/")
    assert probe.returncode != 0  # pingyi comes only from the folder beside the script


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "pingyi"), "verify-bulletin", *map(str, args)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PINGYI_DATA_DIR": "/tmp"})


def download(client, tmp: Path) -> dict[str, Path]:
    out = {}
    for name, url in (("json", f"/bulletin/{YEAR}/bulletin.json"), ("json.sig", f"/bulletin/{YEAR}/bulletin.json.sig"),
                      ("csv", f"/bulletin/{YEAR}/bulletin.csv"), ("csv.sig", f"/bulletin/{YEAR}/bulletin.csv.sig"),
                      ("pub", "/bulletin/office-key.pub")):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        filename = r.headers["content-disposition"].split('filename="')[1].rstrip('"')
        path = tmp / filename
        path.write_bytes(r.content)
        out[name] = path
    return out


def test_the_demo_bulletin_downloads_signed_and_verifies_and_tampering_is_named(any_settings, tmp_path) -> None:
    clock = demo(any_settings)
    with client_for(any_settings, clock=clock) as client:
        files = download(client, tmp_path)
        api = client.get(f"/api/v1/bulletin/{YEAR}")
        page = client.get(f"/bulletin/{YEAR}").text
        keys = client.get("/api/v1/bulletin/keys").json()
    assert files["json"].name == f"bulletin-{YEAR}-v1.json"
    assert api.content == files["json"].read_bytes()  # the API answers the signed bytes
    doc = json.loads(api.content)
    assert doc["format"] == "pingyi.bulletin" and doc["schema_version"] == 1
    assert len(doc["receipts"]) == doc["turnout"]["ballots"] == 60
    key_line = files["pub"].read_text()
    kid = key_line.split()[2]
    assert keys["current"] == kid and keys["keys"][0]["line"] == key_line.strip()
    assert kid in page and key_line.split()[1] in page and f"/bulletin/{YEAR}/bulletin.json.sig" in page
    assert files["csv"].read_bytes().startswith("\ufeff类型,部门代码".encode())

    # genuine: the script (no pingyi installed) and the command agree
    for run in (script, cli):
        ok = run(files["json"], "--key", files["pub"])
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "核验通过" in ok.stdout and kid in ok.stdout
    csv_ok = script(files["csv"], "--key", files["pub"])
    assert csv_ok.returncode == 0 and "核验通过" in csv_ok.stdout and f"{YEAR} 年度评议公告第 1 版" in csv_ok.stdout
    unpinned = script(files["json"])
    assert unpinned.returncode == 3 and "没有用 --key" in unpinned.stdout
    receipt = doc["receipts"][7]
    assert "你的回执码在公告中" in script(files["json"], "--key", files["pub"], "--receipt", receipt).stdout

    rated = next(d for d in doc["departments"] if d["sections"])

    def altered_score(d):
        dept = next(x for x in d["departments"] if x["code"] == rated["code"])
        dept["published"] = "100.00"

    def removed_section(d):
        next(x for x in d["departments"] if x["code"] == rated["code"])["sections"].pop()

    def changed_receipt(d):
        d["receipts"][3] = d["receipts"][3][:-1] + ("0" if d["receipts"][3][-1] != "0" else "1")

    for name, change, needles in (
            ("altered score", altered_score,
             [f"部门 {rated['code']}", "公布得分 100.00", f"应为 {rated['published']}"]),
            ("removed section", removed_section, [f"部门 {rated['code']}", "被改动", "逐份评议却列出"]),
            ("changed receipt", changed_receipt, ["回执码列表被改动"])):
        forged = json.loads(api.content)
        change(forged)
        path = tmp_path / f"{name.replace(' ', '-')}.json"
        path.write_text(json.dumps(forged, ensure_ascii=False))
        for run in (script, cli):
            bad = run(path, "--key", files["pub"], "--sig", files["json.sig"])
            assert bad.returncode == 1, (name, bad.stdout, bad.stderr)
            for needle in needles:
                assert needle in bad.stdout, (name, needle, bad.stdout)

    sig = json.loads(files["json.sig"].read_text())
    sig["signature"] = ("A" if sig["signature"][0] != "A" else "B") + sig["signature"][1:]
    bad_sig = tmp_path / "bad.sig"
    bad_sig.write_text(json.dumps(sig))
    for run in (script, cli):
        bad = run(files["json"], "--key", files["pub"], "--sig", bad_sig)
        assert bad.returncode == 1 and "签名无效" in bad.stdout, bad.stdout
    csv_changed = tmp_path / "changed.csv"
    csv_changed.write_bytes(files["csv"].read_bytes().replace(b"\r\n", b"\n", 1))
    bad = script(csv_changed, "--key", files["pub"], "--sig", files["csv.sig"])
    assert bad.returncode == 1 and "文件内容与签名不符" in bad.stdout


def test_the_csv_bulletin_is_recomputed_from_the_csv_alone(sqlite_settings, tmp_path) -> None:
    """The CSV is not only signature-checked: its counts, sections, scores, grades and ranks are recomputed, so a
    CSV that the office signed with an inconsistent figure fails too (re-signed here with the office's own key)."""
    from pingyi.publication import signing

    clock = demo(sqlite_settings)
    with client_for(sqlite_settings, clock=clock) as client:
        files = download(client, tmp_path)
    office_key = signing.current(sqlite_settings.data_dir)
    assert office_key is not None
    text = files["csv"].read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("部门,") and ",公布得分," in line
               and not line.endswith(",未获评议"))
    code = lines[row].split(",")[1]

    def signed_by_office(csv_text: str, name: str) -> tuple[Path, Path]:
        """The CSV signed the way the office signs it (publication/signing.py), by the office's own key."""
        data = ("\ufeff" + csv_text).encode("utf-8")
        path, sig = tmp_path / f"{name}.csv", tmp_path / f"{name}.csv.sig"
        path.write_bytes(data)
        entry = json.loads(files["csv.sig"].read_text())
        sig.write_bytes(signing.sign(sqlite_settings.data_dir, office_key, bulletin_check.file_manifest(
            data, "csv", entry["signed"]["year"], entry["signed"]["version"])))
        return path, sig

    for name, change, needles in (
            ("score", lambda ls: ls.__setitem__(row, ls[row].rsplit(",", 1)[0] + ",99.99"),
             [f"部门 {code}", "公布得分 99.99"]),
            ("section", lambda ls: ls.__delitem__(next(i for i, x in enumerate(ls) if x.startswith(f"评议,{code},"))),
             [f"部门 {code}", "逐份评议却列出"]),
            ("receipt", lambda ls: ls.__delitem__(next(i for i, x in enumerate(ls) if x.startswith("回执码,"))),
             ["回执码"])):
        changed = list(lines)
        change(changed)
        path, sig = signed_by_office("\r\n".join(changed), name)
        for run in (script, cli):
            bad = run(path, "--key", files["pub"], "--sig", sig)
            assert bad.returncode == 1, (name, bad.stdout, bad.stderr)
            assert "签名有效" in bad.stdout, bad.stdout  # the signature is fine: the figures are not
            for needle in needles:
                assert needle in bad.stdout, (name, needle, bad.stdout)
    # the untouched CSV, re-signed the same way, passes: the failures above are the changes
    path, sig = signed_by_office(text.removeprefix("\ufeff"), "same")
    assert script(path, "--key", files["pub"], "--sig", sig).returncode == 0
    # a file that is not the bulletin CSV: exit 2, one line naming the row
    broken = tmp_path / "broken.csv"
    broken.write_bytes(("\ufeff" + "\r\n".join([lines[0], "部门,D01,x,名次,第一"])).encode())
    for run in (script, cli):
        r = run(broken, "--key", files["pub"], "--sig", files["csv.sig"])
        assert r.returncode == 2 and "第 2 行" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_unreadable_input_is_exit_2_with_one_line(tmp_path) -> None:
    (tmp_path / "x.json").write_text("{not json")
    for run in (script, cli):
        for args in ((tmp_path / "missing.json",), (tmp_path / "x.json",),
                     (tmp_path / "x.json", "--key", "not-a-key")):
            r = run(*args)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_key_rotation_keeps_old_bulletins_checkable_and_is_audited(sqlite_settings, tmp_path) -> None:
    clock = demo(sqlite_settings)
    served = client_for(sqlite_settings, clock=clock)  # one app across the rotation: its download cache follows
    with served as client:
        (tmp_path / "old").mkdir()
        old = download(client, tmp_path / "old")
    folder = sqlite_settings.data_dir / "bulletin-keys"
    old_kid = old["pub"].read_text().split()[2]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / f"ed25519-{old_kid}.key").stat().st_mode) == 0o600
    env = {**os.environ, "PINGYI_DATA_DIR": str(sqlite_settings.data_dir),
           "PINGYI_DATABASE_URL": sqlite_settings.database.url, "PINGYI_SECRET_KEY": "0" * 64}
    pingyi = str(ROOT / ".venv" / "bin" / "pingyi")
    rotated = subprocess.run([pingyi, "bulletin", "rotate-key"], capture_output=True, text=True, env=env, timeout=60)
    assert rotated.returncode == 0, rotated.stderr
    assert f"已停用密钥 {old_kid}" in rotated.stdout
    assert not (folder / f"ed25519-{old_kid}.key").exists()  # the retired private half is gone
    listed = subprocess.run([pingyi, "bulletin", "keys"], capture_output=True, text=True, env=env, timeout=60)
    assert old_kid in listed.stdout and "停用" in listed.stdout
    with served as client:
        (tmp_path / "new").mkdir()
        new = download(client, tmp_path / "new")
        listing = client.get("/api/v1/bulletin/keys")  # public, no login
    keys = listing.json()
    new_kid = new["pub"].read_text().split()[2]
    assert listing.status_code == 200 and new_kid != old_kid and keys["current"] == new_kid
    assert [k["key_id"] for k in keys["keys"]] == [new_kid, old_kid] and keys["keys"][1]["retired_at"]
    assert script(old["json"], "--key", old["pub"]).returncode == 0  # signed before the rotation: still verifies
    assert script(new["json"], "--key", new["pub"]).returncode == 0
    crossed = script(new["json"], "--key", old["pub"])
    assert crossed.returncode == 1 and f"不是你给出的密钥 {old_kid}" in crossed.stdout

    from pingyi.audit.tables import AuditEntry

    async def actions():
        return [r["action"] for r in await AuditEntry.select(AuditEntry.action)
                .where(AuditEntry.action.like("bulletin.key.%")).order_by(AuditEntry.seq)]

    assert run_db(sqlite_settings, actions) == ["bulletin.key.generate", "bulletin.key.rotate"]


def test_an_unpublished_year_has_no_bulletin(any_settings) -> None:
    clock = demo(any_settings)
    with client_for(any_settings, clock=clock) as client:
        for url in ("/bulletin/2026/bulletin.json", "/bulletin/2026/bulletin.json.sig", "/bulletin/1999/bulletin.csv"):
            r = client.get(url)
            assert r.status_code == 404, (url, r.status_code)
            assert "尚未公布" in r.text or "不存在" in r.text or "没有" in r.text, r.text
        for url in (f"/bulletin/{2**40}/bulletin.json", "/bulletin/-1/bulletin.json.sig", "/bulletin/x/bulletin.csv"):
            assert client.get(url).status_code in (400, 404), url  # the edge check, never a 500


@pytest.mark.parametrize("exit_status", [bulletin_check.EXIT_OK, bulletin_check.EXIT_MISMATCH,
                                         bulletin_check.EXIT_USAGE, bulletin_check.EXIT_UNPINNED])
def test_exit_statuses_are_documented(exit_status: int) -> None:
    text = (ROOT / "docs" / "bulletin.md").read_text(encoding="utf-8")
    assert f"| {exit_status} |" in text
