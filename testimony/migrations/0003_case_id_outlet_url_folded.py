"""Case IDs unique ignoring case, outlet names ignoring case and spacing, source
URLs in their normal form (testimony/urls_normal.py).

Before adding the constraints, existing rows are checked: a database holding
``UX-1`` and ``ux-1`` (or two spellings of one outlet, or two URLs of one
article) stops here with the list of clashes and how to resolve them, rather
than with the database's bare IntegrityError. Outlet names are folded and URLs
normalised in place where that makes no clash.
"""

from collections import defaultdict

import django.db.models.functions.text
from django.db import migrations, models

HOW_TO_FIX = (
    "Resolve them before migrating: merge the duplicate defectors (README, 'Duplicates and merging', "
    "with the previous release: rename one case ID in the admin), rename or merge the outlets, "
    "and edit the source URLs so that each article has one source."
)


def _groups(pairs):
    groups = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return {key: values for key, values in groups.items() if len(values) > 1}


def report_clashes_and_fold(apps, schema_editor):
    from testimony.urls_normal import normal_url

    Defector = apps.get_model("testimony", "Defector")
    Outlet = apps.get_model("testimony", "Outlet")
    Source = apps.get_model("testimony", "Source")
    problems = []
    for values in _groups((c.lower(), c) for c in Defector.objects.values_list("case_id", flat=True)).values():
        problems.append(f"case IDs that differ only in case: {', '.join(sorted(values))}")
    outlets = list(Outlet.objects.all())
    for values in _groups((" ".join(o.name.split()).lower(), o.name) for o in outlets).values():
        problems.append(f"outlet names that differ only in case or spacing: {', '.join(map(repr, sorted(values)))}")
    sources = list(Source.objects.exclude(url=""))
    for values in _groups((normal_url(s.url), s.url) for s in sources).values():
        problems.append(f"source URLs of one address: {', '.join(sorted(values))}")
    if problems:
        raise RuntimeError(
            f"{len(problems)} clash(es) prevent unique case IDs, outlets and source URLs:\n  - "
            + "\n  - ".join(problems)
            + f"\n{HOW_TO_FIX}"
        )
    for outlet in outlets:
        folded = " ".join(outlet.name.split())
        if folded != outlet.name:
            outlet.name = folded
            outlet.save(update_fields=["name"])
    for source in sources:
        normal = normal_url(source.url)
        if normal != source.url:
            source.url = normal
            source.save(update_fields=["url"])


class Migration(migrations.Migration):
    dependencies = [
        ("testimony", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(report_clashes_and_fold, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="defector",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("case_id"),
                name="testimony_defector_case_id_ci_unique",
                violation_error_message="A case with this case ID (ignoring case) already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="outlet",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower(django.db.models.functions.text.Trim("name")),
                name="testimony_outlet_name_folded_unique",
                violation_error_message="An outlet with this name (ignoring case and spaces) already exists.",
            ),
        ),
    ]
