"""The data generation (testimony/generation.py): a one-row table the database
moves in the same transaction as any write to the tables behind the list's
counts, so that cached counts are keyed by it and never outlive the data."""

from django.db import migrations

from testimony import generation


class Migration(migrations.Migration):
    dependencies = [
        ("testimony", "0005_search_documents"),
        ("narratives", "0003_narrative_guid_tag_codebook_version"),
    ]

    operations = [generation.WatchTables(setup=True)]
