"""PostgreSQL only: each defector's narrative and outlet ids kept on its row by
triggers (testimony/summary_columns.py), for the facets. SQLite keeps the joins."""

from django.db import migrations

from testimony import summary_columns


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("testimony", "0006_data_generation")]

    operations = [migrations.RunPython(run(summary_columns.FORWARD), run(summary_columns.BACKWARD))]
