"""Possible duplicate defectors, shown before a record is saved.

In a database built from press reports the commonest error is one person
entered twice from two outlets. A stored defector is a *possible duplicate*
of the values being entered when it

- shares a source with them (one article naming one person twice is rare), or
- has a similar name (``NAME_SIMILARITY``), the same country when both give
  one, and a report date within ``REPORT_WINDOW`` of theirs.

PostgreSQL compares names by trigram similarity (pg_trgm, enabled by
migration 0004); other databases narrow the candidates by country and date
in SQL and compare names with difflib's ratio. The two measures differ in
their decimals but agree on what tests/testimony/test_duplicates.py tabulates:
spelling variants ("Abu Omar al-Shami" / "abu omar al shami") match,
different names do not.

The admin's defector form, the import preview and the case-entry page call
:func:`possible_duplicates`. Candidates come from the records ``user`` may
see: a restricted defector is never shown to a user without
``testimony.view_restricted``.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from .models import Defector

REPORT_WINDOW = datetime.timedelta(days=90)
NAME_SIMILARITY = 0.5  # trigram similarity on PostgreSQL, difflib ratio elsewhere
LIMIT = 20  # more candidates than this and the name is too common to tell anything


@dataclass
class Candidate:
    defector: Defector
    reasons: list[str] = field(default_factory=list)
    similarity: float | None = None

    def __str__(self):
        return f"{self.defector.case_id} {self.defector.name} ({'; '.join(self.reasons)})"


def _values(defector_or_values) -> dict:
    if isinstance(defector_or_values, Defector):
        d = defector_or_values
        sources = list(d.sources.values_list("pk", flat=True)) if d.pk else []
        return {
            "pk": d.pk,
            "name": d.name,
            "country": d.country.code if d.country else "",
            "reported_on": d.reported_on,
            "sources": sources,
        }
    values = dict(defector_or_values)
    country = values.get("country") or ""
    values["country"] = getattr(country, "code", country) or ""
    values["sources"] = [getattr(s, "pk", s) for s in values.get("sources") or ()]
    return values


def _fold(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").split())


def _similar_names(queryset, name: str) -> dict[int, float]:
    """pk -> similarity of the candidates whose name is similar to ``name``."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        found = queryset.annotate(similarity=TrigramSimilarity("name", name)).filter(similarity__gte=NAME_SIMILARITY)
        return dict(found.values_list("pk", "similarity"))
    folded = _fold(name)
    similar = {}
    for pk, other in queryset.values_list("pk", "name"):
        ratio = difflib.SequenceMatcher(None, folded, _fold(other)).ratio()
        if ratio >= NAME_SIMILARITY:
            similar[pk] = ratio
    return similar


def possible_duplicates(defector_or_values, *, user) -> list[Candidate]:
    """Stored defectors that may be the person described, most likely first.

    ``defector_or_values``: a Defector (saved or not) or a dict with ``name``,
    ``country`` (code), ``reported_on`` (date), ``sources`` (Sources or ids)
    and optionally ``pk`` (the record itself, never its own duplicate); a
    missing value only narrows less. Returns at most ``LIMIT`` candidates.
    """
    values = _values(defector_or_values)
    visible = Defector.objects.visible_to(user)
    if values.get("pk"):
        visible = visible.exclude(pk=values["pk"])
    candidates: dict[int, Candidate] = {}

    source_ids = values["sources"]
    if source_ids:
        sharing = visible.filter(sources__in=source_ids).distinct()
        for defector in sharing.order_by("case_id")[:LIMIT]:
            candidates[defector.pk] = Candidate(defector, ["shares a source"])

    name, reported_on = (values.get("name") or "").strip(), values.get("reported_on")
    if name and isinstance(reported_on, datetime.date):
        nearby = visible.filter(
            reported_on__gte=reported_on - REPORT_WINDOW, reported_on__lte=reported_on + REPORT_WINDOW
        )
        if values["country"]:
            nearby = nearby.filter(Q(country=values["country"]) | Q(country=""))
        similar = _similar_names(nearby, name)
        for defector in Defector.objects.filter(pk__in=similar):
            candidate = candidates.setdefault(defector.pk, Candidate(defector))
            candidate.similarity = similar[defector.pk]
            days = abs((defector.reported_on - reported_on).days)
            candidate.reasons.append(f"similar name, reported {days} days apart")

    def likelihood(candidate: Candidate):
        return (-len(candidate.reasons), -(candidate.similarity or 0), candidate.defector.case_id)

    return sorted(candidates.values(), key=likelihood)[:LIMIT]


def case_ids(candidates: Iterable[Candidate]) -> list[str]:
    return [c.defector.case_id for c in candidates]


def merged_into(case_id: str, *, user) -> Defector | None:
    """The record a merged case ID now belongs to, if ``user`` may see it (a
    restricted kept record stays a 404 for everyone else)."""
    from .models import DefectorAlias

    alias = DefectorAlias.objects.filter(case_id=case_id).first()
    if alias is None:
        return None
    return Defector.objects.visible_to(user).filter(pk=alias.defector_id).first()


PREVIEW_CHECKED = 200  # new cases of an import preview checked (each costs a few queries)


@dataclass
class NewCase:
    case_id: str
    name: str
    candidates: list[Candidate]


def import_preview_duplicates(rows, case_ids: Iterable[str], *, user) -> list[NewCase]:
    """The import preview's check: for the first ``PREVIEW_CHECKED`` of the cases
    a file would create (``case_ids``, from the dry run), their possible
    duplicates among the stored records. A case's values come from its first
    row; its sources are the stored ones its rows name by URL."""
    from narratives.models import Narrative

    from .imports.reader import RowSource
    from .imports.rows import parse_row
    from .models import Source

    wanted = list(case_ids)[:PREVIEW_CHECKED]
    if not wanted:
        return []
    pending = set(wanted)
    codes = list(Narrative.objects.values_list("code", flat=True))
    source = RowSource(rows)
    values: dict[str, dict] = {}
    urls: dict[str, set[str]] = {}
    for line, record in source.read([]):
        row, errors = parse_row(line, record, frozenset(source.columns), codes)
        if errors or row.case_id not in pending:
            continue
        values.setdefault(row.case_id, row.defector)
        if row.source and row.source.get("url"):
            urls.setdefault(row.case_id, set()).add(row.source["url"])
    stored = dict(Source.objects.filter(url__in={u for found in urls.values() for u in found}).values_list("url", "pk"))
    found = []
    for case_id in wanted:
        fields = values.get(case_id)
        if fields is None:
            continue
        sources = [stored[u] for u in urls.get(case_id, ()) if u in stored]
        candidates = possible_duplicates({**fields, "sources": sources}, user=user)
        if candidates:
            found.append(NewCase(case_id, fields.get("name", ""), candidates))
    return found
