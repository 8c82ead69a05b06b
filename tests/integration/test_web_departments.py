"""The office's department page: the difference from surveys/departments.csv first, then one audited sync
(SPEC §8). Deactivated, never deleted; a broken file changes nothing."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.hall import repository as hall

from .helpers import run
from .webclient import client_for, login, post_form

SURVEYS = Path(__file__).resolve().parents[2] / "surveys"


def _settings_with_list(s, tmp_path: Path, csv_text: str):
    surveys = tmp_path / "surveys"
    shutil.copytree(SURVEYS, surveys)
    (surveys / "departments.csv").write_text(csv_text, encoding="utf-8")
    return replace(s, surveys_dir=surveys)


def _staff(s):
    async def work():
        await accounts.create_user("chief", "password-12", "admin", actor="test")

    run(s, work)


def test_show_the_difference_then_apply_it_once(any_settings, tmp_path):
    s = _settings_with_list(any_settings, tmp_path, "code,name,sort_order\nA1,甲局,1\nB2,乙局,2\n")
    _staff(s)
    with client_for(s) as client:
        login(client, "chief", "password-12")
        page = client.get("/office/departments").text
        assert "新增 A1 甲局" in page and "新增 B2 乙局" in page and "应用以上变更" in page
        assert run(s, hall.departments) == []  # showing the difference stores nothing
        done = post_form(client, "/office/departments", "/office/departments/sync", {})
        assert done.status_code == 200 and "已同步" in done.text
        assert "无需同步" in client.get("/office/departments").text
    # B2 leaves the list, A1 is renamed: deactivated and renamed, nothing deleted
    (s.surveys_dir / "departments.csv").write_text("code,name,sort_order\nA1,甲局（新）,1\n", encoding="utf-8")
    with client_for(s) as client:
        login(client, "chief", "password-12")
        page = client.get("/office/departments").text
        assert "更名 A1：甲局 → 甲局（新）" in page and "停用 B2 乙局（保留历史数据）" in page
        post_form(client, "/office/departments", "/office/departments/sync", {})
    rows = {d.code: d for d in run(s, hall.departments)}
    assert rows["A1"].name == "甲局（新）" and rows["A1"].active and not rows["B2"].active

    async def syncs():
        return await AuditEntry.count().where(AuditEntry.action == "departments.sync")

    assert run(s, syncs) == 2  # one entry per sync, naming every change


def test_a_broken_list_changes_nothing(any_settings, tmp_path):
    s = _settings_with_list(any_settings, tmp_path, "code,name\nA1,甲局\n")  # no sort_order column
    _staff(s)
    with client_for(s) as client:
        login(client, "chief", "password-12")
        assert "名单文件有误" in client.get("/office/departments").text
        refused = post_form(client, "/office/departments", "/office/departments/sync", {})
        assert refused.status_code == 400 and "sort_order" in refused.text
    assert run(s, hall.departments) == []


def test_only_the_admin_may_sync(any_settings, tmp_path):
    s = _settings_with_list(any_settings, tmp_path, "code,name,sort_order\nA1,甲局,1\n")

    async def work():
        await accounts.create_user("inv", "password-12", "investigator", actor="test")

    run(s, work)
    with client_for(s) as client:
        login(client, "inv", "password-12")
        assert client.get("/office/departments").status_code == 403
    assert run(s, hall.departments) == []
