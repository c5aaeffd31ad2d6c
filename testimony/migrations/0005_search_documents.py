"""PostgreSQL only: the stored, GIN-indexed search documents (testimony/search.py)
and trigram indexes for the admin's defector search. SQLite keeps the portable
match and needs none of it, hence SQL that SQLite skips rather than model
fields.

The documents are GENERATED ALWAYS ... STORED columns: the database recomputes
them on every insert and update, whichever path writes (service, admin,
importer COPY, raw SQL), so they cannot drift. Django's GeneratedField would
need the expression on SQLite too, and SearchVector over a normalising
function is not an expression Django can build portably.
"""

from django.db import migrations

from config.migration_operations import RunSQLOnPostgreSQL
from testimony.search import NORMALISE_FUNCTION_SQL

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    NORMALISE_FUNCTION_SQL,
    """ALTER TABLE testimony_quote ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, testimony_normalise(text) || ' ' || testimony_normalise(translation))
    ) STORED""",
    "CREATE INDEX testimony_quote_search_document ON testimony_quote USING gin (search_document)",
    """ALTER TABLE testimony_defector ADD COLUMN name_document tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, testimony_normalise(name))
    ) STORED""",
    "CREATE INDEX testimony_defector_name_document ON testimony_defector USING gin (name_document)",
    # The admin's search_fields run UPPER(col::text) LIKE UPPER('%x%'): these serve it.
    "CREATE INDEX testimony_defector_name_trgm ON testimony_defector USING gin (upper(name::text) gin_trgm_ops)",
    "CREATE INDEX testimony_defector_case_id_trgm ON testimony_defector USING gin (upper(case_id::text) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS testimony_defector_case_id_trgm",
    "DROP INDEX IF EXISTS testimony_defector_name_trgm",
    "ALTER TABLE testimony_defector DROP COLUMN IF EXISTS name_document",
    "ALTER TABLE testimony_quote DROP COLUMN IF EXISTS search_document",
    "DROP FUNCTION IF EXISTS testimony_normalise(text)",
]


class Migration(migrations.Migration):
    dependencies = [("testimony", "0004_defector_alias_and_trigram")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
