"""Data migration (SPEC §3): move what the old storage kept in order or linked into unordered storage.

- ballot opinions (section.opinion) and symposium notes (symposium_opinion) → opinion rows with random keys;
- spent cards (card.spent) → spent_token rows whose tag is the card's own hash (those cards were already
  marked spent by the old storage; new spends use a tag only the token yields);
- every anonymous table (ballot, section, receipt, opinion, spent_token) is rewritten in a random order (on SQLite
  with random rowids), and on PostgreSQL the card table in mint order, so neither rowids nor a dump's row order
  keep the submission or spend order that the old storage recorded. Nothing is lost: every row is copied back.
The next migration drops section.ballot, section.opinion, card.spent and symposium_opinion.
"""

import random
import uuid

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T22:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Copy opinions and spent cards into unordered storage; rewrite anonymous rows in random order"

ANONYMOUS = ("ballot", "section", "receipt", "opinion", "spent_token")



async def _query(engine, sql, args):
    from piccolo.querystring import QueryString

    return await engine.run_querystring(QueryString(sql, *args))


async def _columns(engine, table):
    if engine.engine_type == "sqlite":
        return [r["name"] for r in await _query(engine, f"PRAGMA table_info({table})", ())]
    rows = await _query(engine, "SELECT column_name FROM information_schema.columns WHERE table_name = {} "
                        "AND table_schema = 'public' ORDER BY ordinal_position", (table,))
    return [r["column_name"] for r in rows]


async def _rewrite(engine, tables, order):
    """Read the tables, empty them (children first: section references ballot here), write them back; `order`
    gives each table's new row order."""
    rng = random.SystemRandom()
    saved = {}
    for table in tables:
        cols = await _columns(engine, table)
        saved[table] = (cols, await _query(engine, f"SELECT {', '.join(cols)} FROM {table}", ()))
    for table in reversed(tables):
        await _query(engine, f"DELETE FROM {table}", ())
    for table in tables:
        cols, rows = saved[table]
        rows = order(table, list(rows), rng)
        sqlite = engine.engine_type == "sqlite"
        names = (["rowid"] if sqlite else []) + cols
        marks = ", ".join(["{}"] * len(names))
        for row in rows:
            values = ([rng.randint(1, 2 ** 62)] if sqlite else []) + [row[c] for c in cols]
            await _query(engine, f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", tuple(values))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="evaluation", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if engine.engine_type == "sqlite":
            await _query(engine, "PRAGMA secure_delete = ON", ())  # deleted rows' bytes are zeroed, not left behind
        rng = random.SystemRandom()
        moved = []
        for r in await _query(engine, "SELECT campaign, department, opinion FROM section WHERE opinion <> ''", ()):
            moved.append((r["campaign"], r["department"], r["opinion"], "ballot"))
        for r in await _query(engine, "SELECT campaign, department, text FROM symposium_opinion", ()):
            moved.append((r["campaign"], r["department"], r["text"], "symposium"))
        rng.shuffle(moved)
        for campaign, department, text, source in moved:
            await _query(engine, "INSERT INTO opinion (id, campaign, department, text, source) VALUES "
                         "({}, {}, {}, {}, {})", (str(uuid.uuid4()), campaign, department, text, source))
        spent = list(await _query(engine, "SELECT token_hash, campaign FROM card WHERE spent", ()))
        rng.shuffle(spent)
        for r in spent:
            await _query(engine, "INSERT INTO spent_token (tag, campaign) VALUES ({}, {})",
                         (r["token_hash"], r["campaign"]))

        def shuffled(table, rows, rnd):
            rnd.shuffle(rows)
            return rows

        await _rewrite(engine, list(ANONYMOUS), shuffled)
        if engine.engine_type != "sqlite":  # an UPDATE moved each spent card's row to the heap's end
            await _rewrite(engine, ["card"], lambda t, rows, rnd: sorted(rows, key=lambda r: (r["campaign"],
                                                                                         r["batch"], r["id"])))

    manager.add_raw(run)
    return manager
