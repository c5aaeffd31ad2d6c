"""The two scopes a study is reported in, and what separates them.

- *as published* (``published``): the members of the study's case list, each
  as its record stood when the study was frozen (``Study.frozen_at``), read
  from the change history django-simple-history keeps. The history-as-of
  rule: a member counts with its latest history record at or before
  ``frozen_at``; a member whose record was first entered after freezing
  counts with its first record. Tags count as of ``frozen_at`` too, on the
  quote's defector of that moment. A study with a case list but no
  ``frozen_at`` (being built) counts its members as they are now.
- *today* (``today``): the study's inclusion criteria (window and defector
  filters) over the whole database as it is now. A study without a case
  list is always reported this way.

Both give a queryset of rows with the defector's fields under their own
names and the defector's id in ``id``: ``Defector`` for today, its
historical model for as published. The selectors aggregate either the same
way; selections (``country=SY``) are evaluated by ``DefectorFilterSet`` on
``Defector`` and by its subclass :class:`FrozenDefectorFilterSet` on the
history.
"""

from dataclasses import dataclass

import django_filters as filters
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict

from narratives.models import Tag
from testimony.filters import DefectorFilterSet
from testimony.models import Defector, Quote

from .measures import field_q, select
from .models import Study, StudyMembership

PUBLISHED = "published"
TODAY = "today"
SCOPES = (PUBLISHED, TODAY)
# Fields whose change after freezing the "today" scope spells out.
COMPARED_FIELDS = ("name", "sex", "country", "reported_on", "reported_precision", "provenance", "visibility")


class FrozenDefectorFilterSet(DefectorFilterSet):
    """DefectorFilterSet over historical defector rows: the same names mean the same
    filters, evaluated on the records (and tags) as of ``frozen_at``. Outlets and
    search words are matched on today's sources and quotes."""

    member_of = filters.ModelChoiceFilter(queryset=Study.objects.all(), to_field_name="code", method="filter_member_of")

    class Meta:
        model = Defector.history.model
        fields = ["sex", "country", "provenance"]

    def __init__(self, *args, frozen_at=None, **kwargs):
        self.frozen_at = frozen_at
        super().__init__(*args, **kwargs)

    def _tagged(self, codes):
        return frozen_tags(self.frozen_at).filter(narrative__code__in=list(codes)).values("d_id")

    def filter_narrative(self, queryset, name, value):
        return queryset.filter(id__in=self._tagged(n.code for n in value)) if value else queryset

    def filter_narrative_all(self, queryset, name, value):
        for narrative in value:
            queryset = queryset.filter(id__in=self._tagged([narrative.code]))
        return queryset

    def filter_outlet(self, queryset, name, value):
        return queryset.filter(id__in=Defector.objects.filter(sources__outlet=value).values("pk"))

    def filter_study(self, queryset, name, value):
        return queryset.filter(id__in=value.meeting_criteria(Defector.objects.all()).values("pk"))

    def filter_member_of(self, queryset, name, value):
        return queryset.filter(id__in=value.memberships.values("defector_id"))

    def filter_search(self, queryset, name, value):
        return queryset.filter(id__in=Defector.objects.search(value).values("pk"))


def _as_of(model, moment):
    """The latest history record of each object at ``moment``, deletions dropped."""
    return model.history.filter(history_date__lte=moment).latest_of_each().exclude(history_type="-")


def frozen_tags(moment):
    """Tags as of ``moment``, each with its quote's defector of that moment in ``d_id``."""
    quote_owner = _as_of(Quote, moment).filter(id=OuterRef("quote_id")).values("defector_id")[:1]
    return _as_of(Tag, moment).annotate(d_id=Subquery(quote_owner))


def frozen_snapshot(study: Study):
    """One historical row per member: its record as of ``frozen_at`` (or its first record)."""
    history = Defector.history.model
    records = history.objects.filter(id=OuterRef("defector_id"))
    before = records.filter(history_date__lte=study.frozen_at).order_by("-history_date", "-history_id")
    first = records.order_by("history_date", "history_id")
    chosen = StudyMembership.objects.filter(study=study).annotate(
        record=Coalesce(Subquery(before.values("history_id")[:1]), Subquery(first.values("history_id")[:1]))
    )
    return history.objects.filter(history_id__in=chosen.values("record")).exclude(history_type="-")


@dataclass
class Scope:
    name: str  # PUBLISHED or TODAY
    study: Study
    defectors: object  # the rows counted (Defector, or its historical model when frozen)
    reason: str
    rule: str
    frozen: bool = False
    members: int = 0  # size of the study's case list

    def select(self, params: QueryDict):
        if not params:
            return self.defectors
        if self.frozen:
            return FrozenDefectorFilterSet(params, queryset=self.defectors, frozen_at=self.study.frozen_at).qs
        return select(self.defectors, params)

    def q(self, params: QueryDict) -> Q:
        """The condition "in this selection", for conditional aggregates over ``defectors``."""
        if not params:
            return Q()
        inline = field_q(params)
        return inline if inline is not None else Q(id__in=self.select(params).values("id"))

    def tags(self, counted=None):
        """Tags counted in this scope, with their defector's id, sex and country in d_id, d_sex, d_country.

        Today's tags are those ``counted`` (the study's tag rule: coding.selectors.counted_tags)
        when given; as published, the tags as they stood at freezing, which is what the
        study counted then (adjudications made since are part of "today")."""
        if not self.frozen:
            tags = (Tag.objects if counted is None else counted).filter(quote__defector__in=self.defectors)
            return tags.annotate(
                d_id=F("quote__defector_id"), d_sex=F("quote__defector__sex"), d_country=F("quote__defector__country")
            )
        rows = self.defectors.filter(id=OuterRef("d_id"))
        return (
            frozen_tags(self.study.frozen_at)
            .filter(d_id__in=self.defectors.values("id"))
            .annotate(d_sex=Subquery(rows.values("sex")[:1]), d_country=Subquery(rows.values("country")[:1]))
        )

    def as_dict(self, *, subset: bool, include_synthetic: bool) -> dict:
        return {
            "name": self.name,
            "reason": self.reason,
            "subset": subset,
            "includes_synthetic": include_synthetic,
            "rule": self.rule,
            "frozen_at": self.study.frozen_at.isoformat() if self.study.frozen_at else None,
            "members": self.members,
        }


def criteria_rule(study: Study, include_synthetic: bool) -> str:
    criteria = study.criteria
    if include_synthetic:
        criteria = "&".join(part for part in criteria.split("&") if part != "provenance_not=synthetic")
    return "reported_on inside the window" + (f"; {criteria}" if criteria else "")


def study_scope(*, study: Study, scope: str | None = None, defectors=None, include_synthetic: bool = False) -> Scope:
    """The scope asked for; by default *as published* for a study with a case list."""
    members = study.memberships.count()
    has_members = bool(members)
    if scope not in (None, *SCOPES):
        raise ValueError(f"Unknown scope {scope!r}: published or today.")
    if has_members and scope in (None, PUBLISHED):
        if study.frozen_at:
            rows = frozen_snapshot(study)
            if defectors is not None:
                rows = rows.filter(id__in=defectors.values("pk"))
            when = study.frozen_at.isoformat()
            return Scope(
                PUBLISHED,
                study,
                rows,
                reason=f"The study's case list, each member as recorded at {when} (when it was frozen).",
                rule=f"members of the case list, as recorded at {when}",
                frozen=True,
                members=members,
            )
        rows = Defector.objects.filter(study_memberships__study=study)
        if defectors is not None:
            rows = rows.filter(pk__in=defectors.values("pk"))
        return Scope(
            PUBLISHED,
            study,
            rows,
            reason="The study's case list, not frozen yet: members count as they are now.",
            rule="members of the case list, as they are now",
            members=members,
        )
    base = Defector.objects.all() if defectors is None else Defector.objects.filter(pk__in=defectors.values("pk"))
    if has_members:
        reason = "The study's inclusion criteria applied to the whole database as it is now."
    else:
        reason = "The study has no case list, so it counts every defector meeting its inclusion criteria."
    return Scope(
        TODAY,
        study,
        study.meeting_criteria(base, include_synthetic=include_synthetic),
        reason=reason,
        rule=criteria_rule(study, include_synthetic),
        members=members,
    )


def _case(row: dict) -> dict:
    return {"case_id": row["case_id"], "name": row["name"], "visibility": row["visibility"]}


def differences(scope: Scope, *, defectors=None) -> dict | None:
    """What separates *today* from *as published*: three queries, only for a study with a case list.

    Returns None in the published scope and for a study without members.
    """
    study = scope.study
    if scope.name != TODAY or not scope.members:
        return None
    members = Defector.objects.filter(study_memberships__study=study)
    if defectors is not None:
        members = members.filter(pk__in=defectors.values("pk"))
    fields = ("case_id", "name", "visibility")
    not_members = scope.defectors.exclude(study_memberships__study=study).order_by("case_id").values(*fields)
    no_longer = members.exclude(pk__in=scope.defectors.values("pk")).order_by("case_id").values(*fields)
    changed = []
    if study.frozen_at:
        snapshot = frozen_snapshot(study).filter(id=OuterRef("pk"))
        frozen = {f"frozen_{name}": Subquery(snapshot.values(name)[:1]) for name in COMPARED_FIELDS}
        differs = Q()
        for name in COMPARED_FIELDS:
            differs |= ~Q(**{name: F(f"frozen_{name}")})
        rows = members.annotate(**frozen).filter(differs).order_by("case_id")
        rows = rows.values(*fields, *COMPARED_FIELDS, *frozen)
        for row in rows:
            changes = [
                {"field": name, "from": _text(row[f"frozen_{name}"]), "to": _text(row[name])}
                for name in COMPARED_FIELDS
                if row[f"frozen_{name}"] != row[name]
            ]
            changed.append({**_case(row), "changes": changes})
    return {
        "not_members": [_case(row) for row in not_members],
        "changed_since_freezing": changed,
        "no_longer_meet_criteria": [_case(row) for row in no_longer],
        "restricted_not_listed": 0,
    }


def _text(value) -> str:
    return "" if value is None else str(value.isoformat() if hasattr(value, "isoformat") else value)


def differences_for(report: dict, user) -> dict:
    """The report with the difference lists a user may read: restricted cases are counted, not named."""
    from accounts.access import can_view_restricted

    if "differences" not in report or can_view_restricted(user):
        return report
    shown, hidden = {}, 0
    for key, cases in report["differences"].items():
        if not isinstance(cases, list):
            continue
        shown[key] = [case for case in cases if case["visibility"] != Defector.Visibility.RESTRICTED]
        hidden += len(cases) - len(shown[key])
    return {**report, "differences": {**shown, "restricted_not_listed": hidden}}
