"""The four narratives of the ICSR 2015 study, defined in our own words from
the press coverage of the study (docs/icsr-2015.md; docs/contract.md fixes the codes)."""

from django.db import migrations

CODEBOOK = [
    {
        "code": "infighting",
        "name": "In-fighting",
        "colour": "#1f77b4",
        "definition": (
            "The defector objects that IS spends its fighters on wars against other Sunni rebel and jihadist "
            "groups instead of the Assad regime, its declared enemy, and calls this fighting wrong, "
            "self-defeating or religiously illegitimate (fitna: strife among Muslims)."
        ),
        "inclusion_notes": (
            "Complaints that 'Muslims are fighting Muslims', that the regime is forgotten, or that the "
            "leadership is consumed by quarrels with rival groups and by hunts for alleged spies and traitors."
        ),
        "exclusion_notes": (
            "Violence against civilians or hostages belongs to brutality; a commander favouring some "
            "fighters over others belongs to corruption."
        ),
    },
    {
        "code": "brutality",
        "name": "Brutality against (Sunni) Muslims",
        "colour": "#d62728",
        "definition": (
            "The defector is repelled by the violence IS inflicts on the people it claims to protect: "
            "civilians killed as collateral damage, women and children harmed, villagers mistreated, "
            "hostages killed at random and fighters executed by their own commanders."
        ),
        "inclusion_notes": (
            "Accounts of killings, executions, punishments or takfir (declaring fellow Muslims apostates "
            "who must be killed) that the defector condemns."
        ),
        "exclusion_notes": "Fighting between armed rebel groups belongs to in-fighting.",
    },
    {
        "code": "corruption",
        "name": "Corruption and un-Islamic conduct",
        "colour": "#9467bd",
        "definition": (
            "The defector accuses individual commanders and emirs of behaving in ways that betray what IS "
            "claims to stand for: mistreating their fighters, favouring some over others, unfairness, "
            "inequality and racism, or other un-Islamic conduct."
        ),
        "inclusion_notes": "Criticism of how the rule is carried out by particular leaders, not of the ideology.",
        "exclusion_notes": "Disappointment with living conditions or dull duties belongs to quality of life.",
    },
    {
        "code": "quality-of-life",
        "name": "Quality of life",
        "colour": "#2ca02c",
        "definition": (
            "The defector found life under IS harsh and disappointing: the promised comfort, luxury goods "
            "and cars never came, basic goods and electricity were short, and instead of heroism at the "
            "front they were given dull or unwanted tasks, including being chosen for suicide missions."
        ),
        "inclusion_notes": (
            "Material hardship, restrictions that made life feel like a prison, boredom, unwanted "
            "assignments such as cleaning or suicide operations."
        ),
        "exclusion_notes": "Mistreatment by a named commander belongs to corruption.",
    },
]


def create_codebook(apps, schema_editor):
    Narrative = apps.get_model("narratives", "Narrative")
    for order, entry in enumerate(CODEBOOK, start=1):
        Narrative.objects.update_or_create(code=entry["code"], defaults={**entry, "display_order": order})


def remove_codebook(apps, schema_editor):
    apps.get_model("narratives", "Narrative").objects.filter(code__in=[e["code"] for e in CODEBOOK]).delete()


class Migration(migrations.Migration):
    dependencies = [("narratives", "0001_initial")]

    operations = [migrations.RunPython(create_codebook, remove_codebook)]
