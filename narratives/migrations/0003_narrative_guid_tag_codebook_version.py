"""Narratives get a stable GUID (for REFI-QDA exchange) and tags the codebook
version they were coded under.

The codebook as it stands becomes version 1; every existing tag was coded
under it, and every coder who tagged a quote has coded that quote (a
CodingDecision), so reliability sees the coding done before decisions existed.
Existing codes get a GUID derived from their code (uuid5), so two databases
made from the same migrations name the ICSR codes alike; new codes get a
random one.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

NAMESPACE = uuid.UUID("6f0c5d1e-3c1a-4d38-9a55-0b3c8a1d2e11")


def first_version(apps, schema_editor):
    Narrative = apps.get_model("narratives", "Narrative")
    Tag = apps.get_model("narratives", "Tag")
    CodebookVersion = apps.get_model("coding", "CodebookVersion")
    CodingDecision = apps.get_model("coding", "CodingDecision")
    snapshot = {}
    for narrative in Narrative.objects.all():
        narrative.guid = uuid.uuid5(NAMESPACE, narrative.code)
        narrative.save(update_fields=["guid"])
        snapshot[narrative.code] = {
            "name": narrative.name,
            "definition": narrative.definition,
            "inclusion_notes": narrative.inclusion_notes,
            "exclusion_notes": narrative.exclusion_notes,
        }
    version, _ = CodebookVersion.objects.get_or_create(
        number=1, defaults={"note": "The codebook as first defined.", "snapshot": snapshot}
    )
    Tag.objects.filter(codebook_version__isnull=True).update(codebook_version=version)
    coded = Tag.objects.filter(coder__isnull=False).values_list("quote_id", "coder_id").distinct()
    CodingDecision.objects.bulk_create(
        [CodingDecision(quote_id=q, coder_id=c, codebook_version=version) for q, c in coded],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0001_initial"),
        ("narratives", "0002_icsr_2015_codebook"),
    ]

    operations = [
        migrations.AddField(
            model_name="narrative",
            name="guid",
            field=models.UUIDField(null=True, editable=False, verbose_name="GUID"),
        ),
        migrations.AddField(
            model_name="historicalnarrative",
            name="guid",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, verbose_name="GUID"),
        ),
        migrations.AddField(
            model_name="tag",
            name="codebook_version",
            field=models.ForeignKey(
                blank=True,
                help_text="The codebook as it read when this tag was applied; empty for tags loaded from a fixture or import.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tags",
                to="coding.codebookversion",
            ),
        ),
        migrations.AddField(
            model_name="historicaltag",
            name="codebook_version",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The codebook as it read when this tag was applied; empty for tags loaded from a fixture or import.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="coding.codebookversion",
            ),
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="narrative",
            name="guid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="GUID"),
        ),
    ]
