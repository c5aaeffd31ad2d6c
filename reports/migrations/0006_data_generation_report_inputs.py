"""The rest of what a report reads moves the data generation too, so that a report
can be kept under it (reports.subset.subset_report): its published figures and the
coding workflow that decides which tags count (testimony/generation.py)."""

from django.db import migrations

from testimony import generation

TABLES = (
    "reports_publishedfigure",
    "coding_codingdecision",
    "coding_adjudication",
    "coding_adjudication_narratives",
    "coding_studytagrule",
    "coding_codebookversion",
)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_data_generation_case_lists"),
        ("coding", "0001_initial"),
    ]

    operations = [generation.WatchTables(TABLES)]
