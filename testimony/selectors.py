"""Reads behind the defector pages: the filtered set, its facet counts and the
per-row extras of one page.

Everything here starts from ``Defector.objects.visible_to(user)`` and the one
``DefectorFilterSet``, so the page, its CSV export and the API agree on which
defectors a query string means.
"""

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import BigIntegerField, Count
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import translation
from django_countries import countries

from accounts.access import can_view_restricted
from config.services import record_url
from narratives.models import Narrative, Tag

from .filters import DefectorFilterSet
from .generation import CountedPaginator, cached_count
from .models import Defector, Quote, Source

# The facets of the list page, in the order of the side panel: the query
# parameter each one narrows, and its label.
FACETS = {
    "sex": "Sex",
    "country": "Country",
    "narrative": "Narrative",
    "outlet": "Outlet",
    "provenance": "Provenance",
}


def defector_base_queryset(*, user):
    """What the list, export and narrative pages filter: the defectors this user may see,
    with the quote count the table shows and ``ordering=quote_count`` sorts on."""
    return Defector.objects.visible_to(user).with_quote_count()


def defector_filterset(data, *, user, request=None) -> DefectorFilterSet:
    return DefectorFilterSet(data, queryset=defector_base_queryset(user=user), request=request)


def filtered_defectors(filterset: DefectorFilterSet):
    """The filtered set, or none at all when the query string is invalid: a list
    that silently ignored a bad parameter would look right and be wrong."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs


def stable_order(defectors):
    """Break ties by case ID so pages never overlap. The model's default ordering
    does not survive the quote-count GROUP BY, hence an explicit one always."""
    ordering = [o for o in defectors.query.order_by if o not in ("case_id", "-case_id")]
    if len(ordering) < len(defectors.query.order_by):
        return defectors  # already ordered by case ID, which is unique
    return defectors.order_by(*ordering, "case_id")


def _without(data, *keys):
    data = data.copy()
    for key in keys:
        data.pop(key, None)
    return data


def _selected(data, *, user, exclude=(), request=None):
    """The set ``data`` selects, without the facet's own parameter, ordering or the
    list's annotations: what a facet groups."""
    filterset = DefectorFilterSet(
        _without(data, "ordering", *exclude), queryset=Defector.objects.visible_to(user), request=request
    )
    return filterset.qs.order_by()


def _ids(data, *, user, exclude=(), request=None):
    """The pks of that set, as a subquery for the facets that group other tables;
    None when the set is every defector, so that they need not join it at all."""
    chosen = _selected(data, user=user, exclude=exclude, request=request)
    return chosen.values("pk") if chosen.query.where else None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    colour: str = ""


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


def defector_facets(data, *, user, selected=None, request=None) -> dict[str, Facet]:
    """Facet counts for the current filtered set: one grouped query per facet.

    Each facet is counted over the set selected by every *other* parameter
    (disjunctive faceting, as on most search sites), so the number beside a
    value is how many defectors choosing that value gives, and the values of a
    facet stay on the panel after one of them is chosen. The counts are kept
    under the data generation (testimony/generation.py): only the first view of
    a set after a write pays for the aggregates. ``data`` is a valid QueryDict
    (``request.GET``); ``selected`` (default ``data``) says which values are ticked;
    ``request``, when given, lets the facets reuse the ids the page's search matched.
    """
    selected = {name: set((data if selected is None else selected).getlist(name)) for name in FACETS}
    selected["country"] = {code.upper() for code in selected["country"]}  # ?country=sy ticks Syria
    counts = facet_counts(data, user=user, request=request)
    facets = {name: Facet(name, label) for name, label in FACETS.items()}

    def values(column, choices):
        return [
            FacetValue(str(value), str(label), counts[column].get(value, 0), str(value) in selected[column])
            for value, label in choices
        ]

    facets["sex"].values = values("sex", Defector.Sex.choices)
    facets["provenance"].values = values("provenance", Defector.Provenance.choices)
    # Only countries present in the set, plus any chosen: the full ISO list would bury them.
    present = set(counts["country"]) | selected["country"]
    facets["country"].values = sorted(
        values("country", [(code, country_name(code)) for code in present if code]),
        key=lambda v: (-v.count, v.label),
    )
    facets["narrative"].values = [
        FacetValue(n.code, n.name, counts["narrative"].get(n.pk, 0), n.code in selected["narrative"], n.colour)
        for n in Narrative.objects.order_by("display_order", "code")
    ]
    facets["outlet"].values = [
        FacetValue(name, name, counts["outlet"].get(name, 0), name in selected["outlet"])
        for name in sorted(set(counts["outlet"]) | selected["outlet"])
    ]
    return facets


def facet_counts(data, *, user, request=None) -> dict:
    """Per facet, value -> defectors, and under ``defectors`` the size of the whole set;
    kept under the data generation."""
    compute = lambda: _facet_counts(data, user, request)  # noqa: E731
    return cached_count("facets", user=user, params=filter_params(data), request=request, compute=compute)


def defector_set_count(data, *, user, request=None) -> int:
    """How many defectors the valid filters ``data`` select: counted with the facets,
    in the scan that counts the facets no parameter narrows."""
    return facet_counts(data, user=user, request=request)["defectors"]


# The facets a defector's own row can count: its columns, and on PostgreSQL its
# narratives and outlets kept on the row (testimony/summary_columns.py) as id arrays.
OWN_COLUMNS = ("sex", "provenance", "country")
KEPT_ARRAYS = {"narrative": "narrative_ids", "outlet": "outlet_ids"}


def _facet_counts(data, user, request) -> dict:
    """Per facet, value -> defectors, and ``defectors``: the whole set's size.

    Each facet counts the set chosen without its own parameter, so the facets
    that no parameter narrows share the whole set, which is also the set the page
    counts. Each set is counted in one scan by all the groupings it needs: on
    PostgreSQL with GROUPING SETS (the shared columns and the narratives kept on the
    row together, since their combinations are a few thousand at most; the outlets
    apart, since theirs with the others are many; and the total), so that a search's
    35,000 ids are scanned once for the page's count and every facet, not three times.
    On SQLite each grouping is a query and the narratives and outlets are counted
    through the tags and source links.
    """
    kept = connection.vendor == "postgresql"
    facets = [*OWN_COLUMNS, *(KEPT_ARRAYS if kept else ())]
    narrowed = [facet for facet in facets if data.getlist(facet)]
    shared = [facet for facet in facets if facet not in narrowed]
    # The parameters left out of a set -> the groupings counted over it ([]: the total).
    sets = {(facet,): [[facet]] for facet in narrowed}
    sets[()] = [[]]
    if "outlet" in shared:
        shared.remove("outlet")
        sets[()].append(["outlet"])
    if shared:
        sets[()].append(shared)
    counts = {}
    for exclude, groupings in sets.items():
        chosen = _selected(data, user=user, exclude=exclude, request=request)
        counts.update(_grouping_sets(chosen, groupings) if kept else _grouped_apart(chosen, groupings))
    if not kept:
        counts.update(_joined_facet_counts(data, user, request))
    return counts


def _grouped_apart(chosen, groupings) -> dict:
    """SQLite: a query per grouping of the set's own columns; the total is the sum of
    one of them (NULL is a group too) or, when every column is narrowed, a count."""
    counts = {}
    for columns in groupings:
        if columns:
            counts.update(_grouped(chosen, columns))
    if [] in groupings:
        counted = next((columns for columns in groupings if columns), None)
        counts["defectors"] = sum(counts[counted[0]].values()) if counted else chosen.count()
    return counts


def _grouped(chosen, columns) -> dict[str, dict]:
    """Count ``chosen`` grouped by its own ``columns``, per column."""
    counts = {column: defaultdict(int) for column in columns}
    for row in chosen.values(*columns).annotate(n=Count("pk")):
        for column in columns:
            counts[column][row[column]] += row["n"]
    return {column: dict(values) for column, values in counts.items()}


def _grouping_sets(chosen, groupings) -> dict:
    """PostgreSQL: count ``chosen`` by every grouping in one scan (GROUP BY GROUPING SETS);
    the kept arrays count each of their ids, the outlets by name. ``[]`` is the total,
    returned as ``defectors``."""
    columns = list(dict.fromkeys(column for grouping in groupings for column in grouping))
    keys = [KEPT_ARRAYS.get(column, column) for column in columns]
    arrays = {key: _array(key) for key in keys if key in KEPT_ARRAYS.values()}
    counts = {column: defaultdict(int) for column in columns}
    total = {"defectors": 0} if [] in groupings else {}
    try:
        # The set's rows (pk included, should a filter make them DISTINCT) with the columns grouped.
        sql, params = chosen.annotate(**arrays).values("pk", *keys).query.sql_with_params()
    except EmptyResultSet:  # a set that cannot match anything (a search for punctuation only)
        return {**{column: dict(values) for column, values in counts.items()}, **total}
    quoted = [f'chosen."{key}"' for key in keys]
    # GROUPING(...) has a bit per column, set when the row's grouping leaves that column out.
    masks = {sum(1 << (len(keys) - 1 - i) for i, c in enumerate(columns) if c not in g): g for g in groupings}
    grouping_sets = ", ".join("(" + ", ".join(quoted[columns.index(c)] for c in g) + ")" for g in groupings)
    groups = (
        f"SELECT {'GROUPING(' + ', '.join(quoted) + ')' if quoted else '0'} AS mask, COUNT(*) AS n"
        + "".join(f', {column} AS "{key}"' for column, key in zip(quoted, keys, strict=True))
        + f" FROM ({sql}) chosen GROUP BY GROUPING SETS ({grouping_sets})"
    )
    # The outlets named for the (few hundred) outlet groups, not for every row.
    named = [
        "ARRAY(SELECT o.name FROM testimony_outlet o WHERE o.id = ANY(g.outlet_ids))"
        if key == "outlet_ids"
        else f'g."{key}"'
        for key in keys
    ]
    statement = f"SELECT {', '.join(['g.mask', 'g.n', *named])} FROM ({groups}) g"
    with connections[chosen.db].cursor() as cursor:
        cursor.execute(statement, params)
        for mask, n, *values in cursor.fetchall():
            grouping = masks[mask]
            if not grouping:
                total["defectors"] = n
            for column in grouping:
                value = values[columns.index(column)]
                for one in value if column in KEPT_ARRAYS else [value]:
                    counts[column][one] += n
    return {**{column: dict(values) for column, values in counts.items()}, **total}


def _array(column):
    return RawSQL(f'"testimony_defector"."{column}"', [], output_field=ArrayField(BigIntegerField()))


def _joined_facet_counts(data, user, request) -> dict[str, dict]:
    """The narrative and outlet facets through the tags and source links (SQLite).
    Grouped over the tags of the candidate defectors' quotes (and the source links
    of the candidates), never over every tag: a narrowed set reads only its own
    rows through the foreign-key indexes."""
    counts = {}
    ids = _ids(data, user=user, exclude=["narrative"], request=request)
    counts["narrative"] = dict(
        (Tag.objects.all() if ids is None else Tag.objects.filter(quote__defector__in=ids))
        .values("narrative_id")
        .annotate(n=Count("quote__defector_id", distinct=True))
        .order_by()
        .values_list("narrative_id", "n")
    )
    ids = _ids(data, user=user, exclude=["outlet"], request=request)
    links = Source.defectors.through.objects
    counts["outlet"] = dict(
        (links.all() if ids is None else links.filter(defector__in=ids))
        .values("source__outlet__name")
        .annotate(n=Count("defector_id", distinct=True))
        .order_by()
        .values_list("source__outlet__name", "n")
    )
    return counts


def chosen_by_text(params) -> bool:
    """Whether a query string chooses defectors by text typed into a filter
    (``DefectorFilterSet.text_filters``: ``q``), rather than by categories."""
    getlist = params.getlist if hasattr(params, "getlist") else (lambda key: [params.get(key)])
    return any(str(value or "").strip() for name in DefectorFilterSet.text_filters for value in getlist(name))


def text_leaves_out_restricted(params, *, user) -> bool:
    """True when ``params`` choose by text and the user may not see restricted records:
    their aggregates then count visible records only (see aggregate_defectors)."""
    return not can_view_restricted(user) and chosen_by_text(params)


def aggregate_defectors(*, user, params):
    """The defectors that an aggregate over ``params`` counts for this user: the
    report's figures of a subset, the list's "N restricted records hidden".

    Aggregates count restricted records (they are hidden from lists, not from
    figures), but only for sets chosen by categories (sex, country, narrative,
    dates...). A set chosen by text is chosen among the records the user may
    see: otherwise a count that moves when a typed string matches a restricted
    record's name or quote spells that text out, one letter per request (issue
    12, finding 2). This is the one place that decides it; every surface asks.
    """
    if text_leaves_out_restricted(params, user=user):
        return Defector.objects.visible_to(user)
    return Defector.objects.all()


def restricted_hidden_count(data, *, user, request=None) -> int | None:
    """How many restricted defectors the filters match that this user may not see.
    Only the number: which ones they are stays hidden. ``None`` when the filters
    choose by text: such a set is chosen among visible records, so there is
    nothing to count (and a count would be an oracle for the restricted text)."""
    if can_view_restricted(user):
        return 0
    if text_leaves_out_restricted(data, user=user):
        return None

    def count():  # a filterset costs a few ms to build: only when the count is not kept
        counted = aggregate_defectors(user=user, params=data).filter(visibility=Defector.Visibility.RESTRICTED)
        return DefectorFilterSet(_without(data, "ordering"), queryset=counted).qs.order_by().count()

    return cached_count("restricted_hidden", user=user, params=filter_params(data), request=request, compute=count)


@functools.lru_cache(maxsize=2048)
def _country_name(code: str, language: str) -> str:
    return countries.name(code) or code


def country_name(code: str) -> str:
    """The country's name in the active language. django-countries translates the
    name again on every call (0.1 ms; a list page asks 60 times)."""
    return _country_name(code, translation.get_language()) if code else ""


def _narratives_by(key: str, ids, *fields):
    """Rows of ``key`` and the narrative ``fields`` of every narrative the tags under
    ``ids`` carry, each once per key, in codebook order: one query for a page's
    defectors (``quote__defector_id``) or quotes (``quote_id``)."""
    return (
        Tag.objects.filter(**{f"{key}__in": ids})
        .values_list(key, *fields)
        .distinct()
        .order_by(key, "narrative__display_order", "narrative__code")
    )


def defector_page_extras(defectors) -> None:
    """Attach ``narrative_badges``, ``outlet_names`` and ``country_name`` to the defectors of one page,
    in two queries whatever the page size. A prefetch would load every quote and
    source object only to deduplicate them in Python."""
    defectors = list(defectors)
    ids = [d.pk for d in defectors]
    badges = defaultdict(list)
    for defector_id, *narrative in _narratives_by("quote__defector_id", ids, *BADGE_FIELDS):
        badges[defector_id].append(_badge(*narrative))
    outlets = defaultdict(list)
    outlet_rows = (
        Source.defectors.through.objects.filter(defector_id__in=ids)
        .values("defector_id", "source__outlet__name")
        .distinct()
        .order_by("defector_id", "source__outlet__name")
    )
    for row in outlet_rows:
        outlets[row["defector_id"]].append(row["source__outlet__name"])
    for defector in defectors:
        defector.narrative_badges = badges[defector.pk]
        defector.outlet_names = outlets[defector.pk]
        defector.country_name = country_name(defector.__dict__["country"])  # the code, not a Country built per access


BADGE_FIELDS = ("narrative__code", "narrative__name", "narrative__colour")


def _badge(code, name, colour):
    return {"code": code, "name": name, "colour": colour, "url": record_url("narratives:narrative-detail", code)}


def attach_quote_badges(quotes) -> None:
    """Attach ``narrative_badges`` (each narrative its quote carries, once, in codebook
    order) to the quotes of one page, in one query: a prefetch of the tags with their
    narratives built a Tag and a Narrative per tag, codebook texts included, to show
    a code and a name."""
    quotes = list(quotes)
    badges = defaultdict(list)
    for quote_id, *narrative in _narratives_by("quote_id", [quote.pk for quote in quotes], *BADGE_FIELDS):
        badges[quote_id].append(_badge(*narrative))
    for quote in quotes:
        quote.narrative_badges = badges[quote.pk]


def defector_detail(case_id: str, *, user) -> Defector:
    """The defector of its own page, or Http404, with ``source_list`` (outlets included),
    ``quote_list`` (sources and outlets included) and on each quote ``narrative_badges``
    as on the list, in four plain queries. With nested prefetches (sources; quotes, then
    their tags with narratives) the page took 8.2 ms in process at 100,000 defectors,
    mostly in Django's prefetch machinery; 6.8 ms with these. It is the page most asked
    and, one of 100,000, never asked twice between writes, so never kept."""
    defector = get_object_or_404(Defector.objects.visible_to(user), case_id=case_id)
    defector.source_list = list(
        Source.objects.filter(defectors=defector).select_related("outlet").order_by("published_on", "pk")
    )
    quotes = Quote.objects.filter(defector=defector).select_related("source__outlet")
    defector.quote_list = list(quotes.order_by("source__published_on", "pk"))
    attach_quote_badges(defector.quote_list)
    return defector


def defector_totals(*, user, request=None) -> int:
    return cached_count("defectors", user=user, request=request, compute=Defector.objects.visible_to(user).count)


def counted_paginator(queryset, per_page, *, name: str, request, **kwargs) -> CountedPaginator:
    """A paginator over the filtered set of ``request.GET`` whose count is kept under
    the data generation like the facets (``name`` tells the page's sets apart)."""
    count = lambda: cached_count(  # noqa: E731
        name, user=request.user, params=filter_params(request.GET), request=request, compute=queryset.count
    )
    return CountedPaginator(queryset, per_page, count=count, **kwargs)


def filter_params(data):
    """The parameters that choose a set (DefectorFilterSet's, but its ordering): what
    a count of the set is kept under. Not the page, its size, a report's scope."""
    return _without(data, *(key for key in data if key not in DefectorFilterSet.base_filters or key == "ordering"))


def attach_narrative_codes(defectors) -> None:
    """Attach ``narrative_codes`` (the codes of every narrative a defector's quotes
    carry, in codebook order) to the defectors of one API page, in one query."""
    defectors = list(defectors)
    codes = defaultdict(list)
    for defector_id, code in _narratives_by("quote__defector_id", [d.pk for d in defectors], "narrative__code"):
        codes[defector_id].append(code)
    for defector in defectors:
        defector.narrative_codes = codes[defector.pk]


CASE_NUMBER_RE = re.compile(r"^(.*?)(\d+)$")


def case_id_suggestion() -> str:
    """The case ID after the most recently entered one's series: ``ICSR15-058`` -> ``ICSR15-059``,
    numbered past the largest ID of that prefix (counting restricted cases, which the
    suggestion must not clash with) and padded to the same width. Empty when no case
    ends in a number."""
    latest = Defector.objects.order_by("-created_at", "-pk").values_list("case_id", flat=True)
    match = next((m for m in map(CASE_NUMBER_RE.match, latest[:20]) if m), None)
    if match is None:
        return ""
    prefix, digits = match.groups()
    numbers = [
        int(m.group(2))
        for m in map(
            CASE_NUMBER_RE.match, Defector.objects.filter(case_id__istartswith=prefix).values_list("case_id", flat=True)
        )
        if m and m.group(1).lower() == prefix.lower()
    ]
    return f"{prefix}{max(numbers) + 1:0{len(digits)}d}"
