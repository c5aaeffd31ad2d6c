"""PostgreSQL only: each defector's narrative and outlet ids kept on its row by
triggers (testimony/summary_columns.py), for the facets. SQLite keeps the joins."""

from django.db import migrations

from config.migration_operations import RunSQLOnPostgreSQL
from testimony import summary_columns


class Migration(migrations.Migration):
    dependencies = [("testimony", "0006_data_generation")]

    operations = [RunSQLOnPostgreSQL(summary_columns.FORWARD, summary_columns.BACKWARD)]
