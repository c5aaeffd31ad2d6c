"""The ICSR 2015 study and one published figure per row of the table in
docs/icsr-2015.md, so that ``regenerate_report icsr-2015`` works on any
migrated database (docs/contract.md). The data live here, frozen,
rather than imported from app code, so later edits cannot change history.

Shares are stored as the fraction the *wording* states ("nearly two thirds"
= 0.6667 with qualifier "nearly"); the counts give 36/58 = 0.62.
"""

import datetime
from decimal import Decimal

from django.db import migrations

STUDY = {
    "code": "icsr-2015",
    "title": "Victims, Perpetrators, Assets: The Narratives of Islamic State Defectors",
    "author": "Peter R. Neumann",
    "publisher": "International Centre for the Study of Radicalisation (ICSR), King's College London",
    "published_on": datetime.date(2015, 9, 21),
    "window_start": datetime.date(2014, 1, 1),
    "window_end": datetime.date(2015, 8, 31),
    "url": "https://icsr.info/",
    "notes": (
        "The report's own tables were not available; the figures come from its summary, ICSR's page and "
        "press coverage (docs/icsr-2015.md in the project). Status V: stated in the source; I: inferred "
        "from stated figures. The URL is ICSR's site: the report's own address is not recorded in our sources."
    ),
}

PA = "Press Association (Irish Examiner, The Herald)"
MINT_NOTE = "Mint, 2015-11-25, from data covering Jan 2014 to Aug 2015; not confirmed against the report."


def count(key, value, wording, outlet, source="", status="V", notes="", measure=None, qualifier="exact"):
    return {
        "key": key,
        "measure": key if measure is None else measure,
        "kind": "count",
        "value": Decimal(value),
        "qualifier": qualifier,
        "wording": wording,
        "outlet": outlet,
        "source": source,
        "status": status,
        "notes": notes,
    }


def share(key, value, qualifier, wording, outlet, source="", notes="", measure=None):
    return {**count(key, value, wording, outlet, source, notes=notes, measure=measure), "kind": "share",
            "qualifier": qualifier}


def text(key, kind, value_text, wording, outlet, source="", notes="", measure=None):
    return {**count(key, 0, wording, outlet, source, notes=notes, measure=measure), "kind": kind, "value": None,
            "value_text": value_text}


FIGURES = [
    count("total_defectors", 58,
          "at least 58 individuals have left the group and publicly spoken about their defection",
          "ICSR", "report, executive summary",
          notes="'At least' speaks of the world, not of the study, which tracked exactly 58 ('Researchers tracked "
                "58 individuals', Press Association): judged as an exact count."),
    text("window", "range", "2014-01/2015-08",
         "as they have been reported in the media from January 2014 to August 2015",
         "The Christian Science Monitor", "2015-09-21", measure="reported_months",
         notes="Judged by the first and last month with a dated defector. BBC: 'The earliest cases compiled in the "
               "report date from January 2014 and the most recent from August this year.'"),
    count("male_defectors", 51, "58 individuals - 51 male and seven female", PA),
    count("female_defectors", 7, "58 individuals - 51 male and seven female", PA,
          notes="The Washington Post: 'testimony from seven women'."),
    count("country_count", 17, "defectors represented 17 countries", PA, "also HuffPost"),
    count("defectors_from_GB", 2, "including two from Britain", PA),
    count("defectors_from_SY", 21, "Syria (21)", "Mint", "2015-11-25", notes=MINT_NOTE),
    count("defectors_from_SA", 9, "", "Mint", "2015-11-25", notes="Same list as Syria (21). " + MINT_NOTE),
    count("defectors_from_AU", 2, "", "Mint", "2015-11-25", notes="Australia, Germany, India: 2 each. " + MINT_NOTE),
    count("defectors_from_DE", 2, "", "Mint", "2015-11-25", notes="Australia, Germany, India: 2 each. " + MINT_NOTE),
    count("defectors_from_IN", 2, "", "Mint", "2015-11-25", notes="Australia, Germany, India: 2 each. " + MINT_NOTE),
    count("defectors_from_FR", 1, "", "Mint", "2015-11-25",
          notes="France, Belgium, Switzerland: 1 each. " + MINT_NOTE),
    count("defectors_from_BE", 1, "", "Mint", "2015-11-25",
          notes="France, Belgium, Switzerland: 1 each. " + MINT_NOTE),
    count("defectors_from_CH", 1, "", "Mint", "2015-11-25",
          notes="France, Belgium, Switzerland: 1 each. " + MINT_NOTE),
    count("defectors_from_TN", 4, "four each from Tunisia and Indonesia", "Deccan Herald", "Nov 2015",
          notes=MINT_NOTE),
    count("defectors_from_ID", 4, "four each from Tunisia and Indonesia", "Deccan Herald", "Nov 2015",
          notes=MINT_NOTE),
    count("defectors_from_countries_without_counts", 9, "", "Mint", "2015-11-25", status="I",
          measure="defectors_not_from_GB_SY_SA_AU_DE_IN_FR_BE_CH_TN_ID",
          notes="Iraq, Jordan, Libya, Tajikistan and Turkey are named without counts and the 17th country is not "
                "named: 58 less the stated counts leaves 9 defectors for them (or of unknown country)."),
    count("defectors_from_western_europe_australia", 9, "nine of them from Western Europe and Australia",
          "The New York Times", "2015-09-21", notes="= GB 2 + DE 2 + AU 2 + FR 1 + BE 1 + CH 1."),
    count("defectors_jan_aug_2014", 10, "10 people left the IS between January and August 2014", "Deccan Herald"),
    count("defectors_sep_2014_aug_2015", 48, "", "Deccan Herald", notes="Stated beside the 10 of Jan to Aug 2014."),
    count("defectors_2015", 36, "for 2015 alone, it is 36", "Deccan Herald",
          notes="The window ends in August 2015, so 2015 means January to August 2015."),
    share("share_2015_jan_aug", "0.6667", "nearly", "nearly two thirds of the defections took place in the year 2015",
          "ICSR", "ICSR page; Neumann, CNN op-ed", notes="36/58 = 0.62."),
    share("share_2015_jan_aug_almost_60", "0.6000", "almost",
          "almost 60% of the cases reported in the first eight months of this year", PA,
          measure="share_2015_jan_aug",
          notes="36/58 = 0.62 is above 60%: a wording the data do not quite support."),
    share("share_2015_jan_aug_two_thirds", "0.6667", "exact", "two-thirds of them this year", "BBC News",
          "2015-09-21", measure="share_2015_jan_aug"),
    count("defectors_jun_aug_2015", 17, "17 between June and August alone", "AFP", "Die Zeit; Khaleej Times"),
    share("share_2015_jun_aug", "0.3333", "exact", "One third happened during the summer months alone", "ICSR",
          "ICSR page", notes="17/58 = 0.29."),
    share("share_2015_jun_aug_nearly_a_third", "0.3333", "nearly", "nearly a third in the three months to August",
          PA, measure="share_2015_jun_aug", notes="17/58 = 0.29."),
    count("defectors_2015_07", 6, "July had six", "Deccan Herald"),
    text("peak_month", "month", "2015-08", "the highest number ... in August this year", "Deccan Herald",
         notes="With July at 6 and June to August at 17, August has at least 7 and June at most 4 (I)."),
    count("defectors_sep_dec_2014", 12, "", "", "derived: 48 - 36", status="I"),
    count("defectors_jan_may_2015", 19, "", "", "derived: 36 - 17", status="I"),
    count("chosen_as_suicide_bombers", 2,
          "Two left after they found out that they had been selected as suicide bombers", "The New York Times",
          measure="", notes="The database has no field for this; Usaid Barho's account is one such case."),
    count("narrative_count", 4,
          "four narratives emerging from their stories were singled out in the report: In-fighting, brutality "
          "against Muslims, corruption, and quality of life",
          PA, notes="ICSR page: in-fighting; brutality against (Sunni) Muslims; corruption and un-Islamic "
                    "behaviour; quality of life. Computed as the top-level codes of the codebook."),
]


def create_study(apps, schema_editor):
    Study = apps.get_model("reports", "Study")
    PublishedFigure = apps.get_model("reports", "PublishedFigure")
    study, _ = Study.objects.update_or_create(code=STUDY["code"], defaults=STUDY)
    for order, figure in enumerate(FIGURES, start=1):
        PublishedFigure.objects.update_or_create(
            study=study, key=figure["key"], defaults={**figure, "display_order": order * 10}
        )


def remove_study(apps, schema_editor):
    apps.get_model("reports", "Study").objects.filter(code=STUDY["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_study")]

    operations = [migrations.RunPython(create_study, remove_study)]
