from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T22:14:45:876194"
VERSION = "1.38.0"
DESCRIPTION = "Drop section.ballot, section.opinion, card.spent, symposium_opinion (SPEC §3)"


SECTION_COLUMNS = ("id", "ballot", "campaign", "department", "answers", "total", "aspect_1", "aspect_2", "aspect_3",
                   "aspect_4", "aspect_5", "aspect_6", "aspect_7", "aspect_8", "opinion")


async def _sqlite_free_ballot_column():
    """SQLite refuses to drop a column that is indexed or a foreign key: rebuild `section` with `ballot` as a plain
    column (rows copied in their current, already random, rowid order; deleted pages zeroed), then Piccolo drops it."""
    from piccolo.querystring import QueryString

    engine = engine_finder()
    if engine.engine_type != "sqlite":
        return

    async def q(sql):
        return await engine.run_querystring(QueryString(sql))

    await q("PRAGMA secure_delete = ON")
    ddl = (await q("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'section'"))[0]["sql"]
    ddl = ddl.replace('"ballot" UUID REFERENCES "ballot" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null',
                      '"ballot" UUID DEFAULT null')
    ddl = ddl.replace('CREATE TABLE "section"', 'CREATE TABLE "section_rebuilt"', 1)
    await q(ddl)
    cols = ", ".join(SECTION_COLUMNS)
    await q(f"INSERT INTO section_rebuilt (rowid, {cols}) SELECT rowid, {cols} FROM section ORDER BY rowid")
    await q("DROP TABLE section")
    await q("ALTER TABLE section_rebuilt RENAME TO section")
    await q('CREATE INDEX section_campaign ON "section" ("campaign")')
    await q('CREATE INDEX section_department ON "section" ("department")')


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="evaluation", description=DESCRIPTION
    )
    manager.add_raw(_sqlite_free_ballot_column)

    manager.drop_table(
        class_name="SymposiumOpinion", tablename="symposium_opinion", schema=None
    )

    manager.drop_column(
        table_class_name="Card",
        tablename="card",
        column_name="spent",
        db_column_name="spent",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Section",
        tablename="section",
        column_name="ballot",
        db_column_name="ballot",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Section",
        tablename="section",
        column_name="opinion",
        db_column_name="opinion",
        schema=None,
    )

    return manager
