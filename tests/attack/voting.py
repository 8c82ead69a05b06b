"""Test helper: cast ballots through the real server (web form and JSON API) in a known order, keeping the truth
aside, and take the copies an operator could take (SQLite file + WAL, pg_dump) while voting goes on (SPEC §3)."""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pingyi.catalog import load_catalog
from pingyi.core.cardcodes import token_hash
from pingyi.settings import Settings

from ..integration.helpers import open_campaign, run
from ..integration.server import running_server
from ..integration.webclient import CSRF_FIELD

DEPARTMENTS = ("D01", "D02", "D03", "D04")
ANSWERS = {"satisfied": "5", "basically_satisfied": "3", "unsatisfied": "0"}
RECEIPT_HTML = re.compile(r'id="receipt">([^<]+)<')


@dataclass
class CastBallot:
    """The truth about one ballot: never visible to the attacker."""

    rank: int  # 0-based submission order
    token: str
    token_hash: str
    channel: str  # "web" or "api"
    sections: dict[str, str]  # department code → answers digits
    opinion_department: str
    opinion: str
    receipt: str = ""
    at: float = 0.0

    @property
    def designated(self) -> tuple[str, str]:
        """The ballot's section that carries its opinion: one section per ballot is scored, so every unit of a
        linkage stands for a different ballot."""
        return self.opinion_department, self.sections[self.opinion_department]


@dataclass
class Copy:
    """What an operator copied at one moment: files (SQLite) or a dump (PostgreSQL)."""

    label: str
    after: int  # ballots submitted when it was taken
    files: dict[str, bytes] = field(default_factory=dict)
    dump: str = ""


@dataclass
class Voting:
    ballots: list[CastBallot]
    roster: list[str]  # token hashes in mint order = the order cards were handed to the roster's enterprises
    copies: list[Copy]
    access_log: str
    server_log: str


def _random_section(item_ids: list[str]) -> dict[str, str]:
    keys = list(ANSWERS)
    while True:
        section = {i: secrets.choice(keys) for i in item_ids}
        if len(set(section.values())) > 1:
            return section


def take_copy(settings: Settings, label: str, after: int) -> Copy:
    copy = Copy(label, after)
    if settings.database.is_sqlite:
        path = settings.database.sqlite_path
        for suffix in ("", "-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                copy.files[suffix or "db"] = extra.read_bytes()
    else:
        copy.dump = subprocess.run(["pg_dump", "--data-only", "--no-owner", f"--dbname={settings.database.url}"],
                                   capture_output=True, text=True, check=True).stdout
    return copy


def cast(settings: Settings, count: int = 44, copies_after: tuple[int, ...] = (11, 22, 33)) -> Voting:
    """Cast `count` ballots in random order of cards, alternating channels at random; copy after the given counts
    (immediately after that ballot's answer arrived) and once after the last ballot."""
    tokens = run(settings, lambda: open_campaign(settings, cards=count))
    roster = [token_hash(t) for t in tokens]
    order = list(tokens)
    secrets.SystemRandom().shuffle(order)
    item_ids = list(load_catalog(settings.surveys_dir).questionnaire.item_ids)
    rng = secrets.SystemRandom()
    channels = ["web", "api"] * (count // 2) + ["web"] * (count % 2)  # half through each, in random order
    rng.shuffle(channels)
    ballots: list[CastBallot] = []
    copies: list[Copy] = []
    with running_server(settings) as base, httpx.Client(base_url=base, timeout=30) as client:
        for rank, token in enumerate(order):
            depts = sorted(rng.sample(DEPARTMENTS, rng.randint(1, 3)))
            answers = {d: _random_section(item_ids) for d in depts}
            opinion_dept = rng.choice(depts)
            opinion = "意见" + secrets.token_hex(6)  # unique, and says nothing about the order
            channel = channels[rank]
            if channel == "web":
                page = client.get(f"/b/{token}", params=[("step", "2"), *[("d", d) for d in depts]])
                fields = {f"a.{d}.{i}": a for d in depts for i, a in answers[d].items()}
                fields[f"o.{opinion_dept}"] = opinion
                fields["_csrf_token"] = CSRF_FIELD.search(page.text).group(1)
                done = client.post(f"/b/{token}", data=fields)
                assert done.status_code == 200, done.text
                receipt = RECEIPT_HTML.search(done.text).group(1).strip()
            else:
                done = client.post("/api/v1/ballots", json={"token": token, "answers": answers,
                                                            "opinions": {opinion_dept: opinion}})
                assert done.status_code == 201, done.text
                receipt = done.json()["receipt"]
            digits = {d: "".join(ANSWERS[answers[d][i]] for i in item_ids) for d in depts}
            ballots.append(CastBallot(rank, token, token_hash(token), channel, digits, opinion_dept, opinion,
                                      receipt, time.time()))
            if rank + 1 in copies_after:
                copies.append(take_copy(settings, f"during voting, after ballot {rank + 1}", rank + 1))
        copies.append(take_copy(settings, f"after the last ballot ({count})", count))
    access_log = settings.http.access_log.read_text(encoding="utf-8") if settings.http.access_log.exists() else ""
    server_log = (Path(settings.data_dir) / "server.out").read_text(encoding="utf-8", errors="replace")
    return Voting(ballots, roster, copies, access_log, server_log)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def copy_files_to(copy: Copy, folder: Path) -> Path:
    """Write a SQLite copy's files where the attacker can open them; returns the database path."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "copy.sqlite3"
    for suffix, data in copy.files.items():
        (folder / ("copy.sqlite3" + ("" if suffix == "db" else suffix))).write_bytes(data)
    return db


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
