"""Rows, files and snapshots shared by the import tests."""

import csv
import datetime
import io

from django.utils import timezone

from narratives.models import Tag
from testimony.imports.columns import CONTRACT_COLUMNS
from testimony.longform import write_csv
from testimony.models import Defector, Outlet, Quote, Source

HEADER = ",".join(CONTRACT_COLUMNS)
CODES = ["infighting", "brutality", "corruption", "quality-of-life"]


def row(**values) -> dict:
    """A valid contract row for case T-1 quoting one BBC article; override any column."""
    base = {
        "case_id": "T-1",
        "name": "Abu Test",
        "sex": "male",
        "country": "GB",
        "reported_on": "2015-08-14",
        "outlet": "BBC News",
        "source_title": "Defectors speak",
        "source_url": "https://bbc.example.org/defectors",
        "source_published_on": "2015-08-14",
        "quote": "They fought each other.",
        "quote_language": "en",
        "translation": "",
        "narratives": "infighting",
    }
    return {**base, **values}


def to_csv(rows, columns=None) -> bytes:
    out = io.StringIO()
    # As the export does: a lone \r is a line end to a reader unless quoted.
    quoting = csv.QUOTE_ALL if any("\r" in str(v) for r in rows for v in r.values()) else csv.QUOTE_MINIMAL
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), lineterminator="\n", quoting=quoting)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def exported(queryset=None) -> str:
    out = io.StringIO()
    write_csv(queryset if queryset is not None else Defector.objects.order_by("case_id"), out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything an import may touch, as comparable values (ids of sources/quotes excluded)."""
    return {
        "defectors": list(
            Defector.objects.order_by("case_id").values_list(
                "case_id",
                "name",
                "sex",
                "country",
                "reported_on",
                "reported_precision",
                "defected_on",
                "defected_precision",
                "role",
                "status",
                "notes",
                "visibility",
                "provenance",
                "legal_name",
            )
        ),
        "sources": sorted(
            Source.objects.values_list(
                "outlet__name", "title", "url", "published_on", "language", "archived_url", "accessed_on"
            )
        ),
        "links": sorted(
            Defector.sources.through.objects.values_list("defector__case_id", "source__url", "source__title")
        ),
        "quotes": sorted(
            Quote.objects.values_list(
                "defector__case_id", "source__title", "text", "language", "translation", "locator"
            )
        ),
        "tags": sorted(Tag.objects.values_list("quote__text", "narrative__code")),
        "outlets": sorted(Outlet.objects.values_list("name", flat=True)),
    }


def future(days=40):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()
