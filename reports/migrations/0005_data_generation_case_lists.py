"""The case lists and criteria choose defectors too (``?member_of=``, ``?study=``):
their writes move the data generation like testimony's (testimony/generation.py)."""

from django.db import migrations

from testimony import generation

TABLES = ("reports_study", "reports_studymembership")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_measures_as_selections"),
        ("testimony", "0006_data_generation"),
    ]

    operations = [generation.WatchTables(TABLES)]
