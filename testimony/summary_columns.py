"""PostgreSQL only: each defector's narratives and outlets, kept on its row.

The narrative and outlet facets count defectors, but a defector's narratives
live on its quotes' tags and its outlets on its sources: counted through those
joins, a search matching 35,000 defectors spent 130 ms joining 90,000 quotes
to their tags and 80 ms joining 50,000 source links to their sources, on every
first view. ``testimony_defector.narrative_ids`` and ``outlet_ids`` (sorted
arrays of ids) let both facets group the chosen defectors' own rows, in the same
scan as sex, provenance and country (testimony.selectors).

The database keeps them, in the statement that changes what they summarise,
whichever path writes (admin, services, the importer's set-wise SQL, a merge
moving quotes, raw SQL): statement-level triggers with transition tables
recompute the arrays of the defectors a statement touched, set-wise, so an
import of 250,000 tags costs one UPDATE, not 250,000. They are not model
fields: Django never writes them, and SQLite (small, embedded) keeps the
joins. ``tests/testimony/test_summary_columns.py`` checks that no write path
leaves them different from the joins.

The bulk importer (imports/setwise.py) writes a new defector's arrays with its
row and its links, quotes and tags in one statement, so the triggers find them
right and rewrite nothing: a row rewritten once per statement leaves its old
versions behind, and an import of 100,000 defectors left the table 2.8 times
the size of its rows, which every scan of it then read.
"""

# Each defector's summaries computed through the joins, one defector at a time: what the
# kept columns must equal (the drift check).
FRESH = """
SELECT c.id,
    COALESCE((SELECT array_agg(DISTINCT t.narrative_id ORDER BY t.narrative_id)
                FROM testimony_quote q JOIN narratives_tag t ON t.quote_id = q.id
               WHERE q.defector_id = c.id), '{}') AS narrative_ids,
    COALESCE((SELECT array_agg(DISTINCT s.outlet_id ORDER BY s.outlet_id)
                FROM testimony_defector_sources l JOIN testimony_source s ON s.id = l.source_id
               WHERE l.defector_id = c.id), '{}') AS outlet_ids
FROM testimony_defector c
"""

# Recompute the arrays of the defectors in ``ids``, writing only those that changed: one
# aggregate per kind over the named defectors' rows, never a subquery per defector. Inside
# an import the planner has no statistics for the rows just written, and a correlated
# subquery then scanned every tag once per defector (23 s for 10,000 defectors).
REFRESH_FUNCTION = """
CREATE FUNCTION testimony_refresh_defector_summaries(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE testimony_defector d
       SET narrative_ids = COALESCE(n.ids, '{}'), outlet_ids = COALESCE(o.ids, '{}')
      FROM (SELECT DISTINCT unnest(ids) AS id) wanted
      LEFT JOIN (
          SELECT q.defector_id, array_agg(DISTINCT t.narrative_id ORDER BY t.narrative_id) AS ids
            FROM unnest(ids) AS w(id)
            JOIN testimony_quote q ON q.defector_id = w.id
            JOIN narratives_tag t ON t.quote_id = q.id
           GROUP BY q.defector_id
      ) n ON n.defector_id = wanted.id
      LEFT JOIN (
          SELECT l.defector_id, array_agg(DISTINCT s.outlet_id ORDER BY s.outlet_id) AS ids
            FROM unnest(ids) AS w(id)
            JOIN testimony_defector_sources l ON l.defector_id = w.id
            JOIN testimony_source s ON s.id = l.source_id
           GROUP BY l.defector_id
      ) o ON o.defector_id = wanted.id
     WHERE d.id = wanted.id
       AND (d.narrative_ids IS DISTINCT FROM COALESCE(n.ids, '{}')
            OR d.outlet_ids IS DISTINCT FROM COALESCE(o.ids, '{}'))
$$
"""

# table -> SQL giving the ids of the defectors whose summaries a changed row affects,
# from a transition table called ``changed``.
AFFECTED = {
    "narratives_tag": "SELECT q.defector_id FROM changed c JOIN testimony_quote q ON q.id = c.quote_id",
    "testimony_quote": "SELECT c.defector_id FROM changed c",
    "testimony_defector_sources": "SELECT c.defector_id FROM changed c",
    "testimony_source": "SELECT l.defector_id FROM changed c JOIN testimony_defector_sources l ON l.source_id = c.id",
}
# Every event of the four tables: the foreign keys are deferred, so a tag may be written
# before its quote, or a quote deleted before its tags, within one transaction.
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _trigger_function(table: str, transition: str) -> str:
    return f"""
CREATE FUNCTION testimony_summaries_{table}_{transition}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM testimony_refresh_defector_summaries(ARRAY(SELECT DISTINCT id FROM ({
        AFFECTED[table].replace("changed", f"{transition}_rows")
    }) affected(id)));
    RETURN NULL;
END $$
"""


def _triggers(table: str) -> list[str]:
    statements = []
    for event in EVENTS:
        # A trigger may name transition tables for one event only; an update affects both
        # the defectors a row left and those it joined.
        transitions = {"INSERT": ["new"], "DELETE": ["old"], "UPDATE": ["old", "new"]}[event]
        for transition in transitions:
            statements.append(
                f"""CREATE TRIGGER testimony_summaries_{event.lower()}_{transition} AFTER {event} ON {table}
                    REFERENCING {transition.upper()} TABLE AS {transition}_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION testimony_summaries_{table}_{transition}()"""
            )
    return statements


FORWARD = [
    "ALTER TABLE testimony_defector ADD COLUMN narrative_ids bigint[] NOT NULL DEFAULT '{}'",
    "ALTER TABLE testimony_defector ADD COLUMN outlet_ids bigint[] NOT NULL DEFAULT '{}'",
    REFRESH_FUNCTION,
    *(_trigger_function(table, transition) for table in AFFECTED for transition in ("old", "new")),
    *(statement for table in AFFECTED for statement in _triggers(table)),
    "SELECT testimony_refresh_defector_summaries(ARRAY(SELECT id FROM testimony_defector))",
]
BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS testimony_summaries_{event.lower()}_{transition} ON {table}"
        for table in AFFECTED
        for event in ("INSERT", "UPDATE", "DELETE")
        for transition in ("old", "new")
    ),
    *(
        f"DROP FUNCTION IF EXISTS testimony_summaries_{table}_{transition}()"
        for table in AFFECTED
        for transition in ("old", "new")
    ),
    "DROP FUNCTION IF EXISTS testimony_refresh_defector_summaries(bigint[])",
    "ALTER TABLE testimony_defector DROP COLUMN IF EXISTS outlet_ids",
    "ALTER TABLE testimony_defector DROP COLUMN IF EXISTS narrative_ids",
]

DRIFT = f"""
SELECT d.case_id, d.narrative_ids, d.outlet_ids, fresh.narrative_ids, fresh.outlet_ids
FROM testimony_defector d JOIN ({FRESH}) fresh ON fresh.id = d.id
WHERE d.narrative_ids IS DISTINCT FROM fresh.narrative_ids OR d.outlet_ids IS DISTINCT FROM fresh.outlet_ids
"""


def drifted(connection) -> list[tuple]:
    """Defectors whose kept summaries differ from the joins: (case_id, kept..., true...)."""
    with connection.cursor() as cursor:
        cursor.execute(DRIFT)
        return cursor.fetchall()
