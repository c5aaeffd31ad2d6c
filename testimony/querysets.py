"""Query vocabulary for defectors and quotes.

Every surface (HTML pages, exports, API, report drill-downs, admin) asks
``visible_to(user)`` which defectors a user may see: this is the one place
that decides it.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Count, Exists, F, Func, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from accounts.access import can_view_restricted


class IdArray:
    """Ids as one PostgreSQL array literal, written once. A search's tens of thousands
    of ids are then one parameter, not one placeholder each; one string, since psycopg2
    adapting a list of 35,000 ints element by element took longer than the query; and
    an object Django's lookups do not look inside, since a list is resolved element by
    element on every filter (3 passes over 35,000 ids per query: 30 ms of a cold search).
    It is what a search keeps in the cache, too: one string pickles in microseconds."""

    __slots__ = ("literal",)

    def __init__(self, ids):
        self.literal = "{" + ",".join(str(int(value)) for value in ids) + "}"

    def __eq__(self, other):
        return isinstance(other, IdArray) and other.literal == self.literal

    def __hash__(self):
        return hash(self.literal)

    def ids(self) -> list[int]:
        return [int(value) for value in self.literal[1:-1].split(",") if value]


@models.ForeignKey.register_lookup
@models.BigAutoField.register_lookup
class AnyOf(models.Lookup):
    """``pk__any_of=IdArray(...)``, also on a foreign key: on PostgreSQL
    ``= ANY(%s::bigint[])``, one parameter; elsewhere ``IN`` with one each."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs if isinstance(self.rhs, IdArray) else IdArray(self.rhs)
        if connection.vendor == "postgresql":
            # Valid SQL even when empty: callers compile it into SQL of their own (facets, the report).
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids.literal]
        values = ids.ids()
        if not values:
            raise EmptyResultSet  # as Django's own IN does
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


class DefectorQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Restricted defectors exist only for holders of testimony.view_restricted;
        everyone else gets a 404 for them (they are still counted in figures)."""
        if can_view_restricted(user):
            return self
        return self.filter(visibility="public")

    def in_window(self, start, end):
        """Defectors first reported between two dates, inclusive (a study's window)."""
        return self.filter(reported_on__gte=start, reported_on__lte=end)

    def excluding_synthetic(self):
        return self.exclude(provenance="synthetic")

    def tagged_with(self, codes):
        """Defectors with at least one quote carrying any of the narrative codes."""
        from .models import Quote

        return self.filter(pk__in=Quote.objects.filter(tags__narrative__code__in=list(codes)).values("defector_id"))

    def search(self, text: str, *, request=None):
        """Defectors for whom every word of ``text`` starts a word of their name as
        published or of one of their quotes or translations (never identity fields),
        after testimony.search.normalise_text on both sides.

        On PostgreSQL the GIN-indexed documents give the matching ids in one query,
        kept under the data generation and on the request (generation.kept) so that
        the page, its count and every facet reuse them rather than search again;
        results are ranked by how well the name matches, computed on the row. On
        SQLite the same match over normalised copies, ordered as usual.
        """
        from .generation import kept
        from .search import prefix_tsquery, search_words

        words = search_words(text)
        if not words:
            return self if not (text or "").strip() else self.none()
        if connection.vendor == "postgresql":
            # One UNION per word, intersected: a word may match the name or any quote.
            per_word = " INTERSECT ".join(
                "(SELECT id FROM testimony_defector WHERE name_document @@ to_tsquery('simple', %s)"
                " UNION SELECT defector_id FROM testimony_quote WHERE search_document @@ to_tsquery('simple', %s))"
                for _ in words
            )
            params = [value for word in words for value in (prefix_tsquery([word]),) * 2]

            def matching_ids():
                with connection.cursor() as cursor:
                    cursor.execute(per_word, params)
                    return IdArray(row[0] for row in cursor.fetchall())

            # Every record's ids (visibility is applied after).
            ids = kept("search:" + " ".join(words), matching_ids, request=request)
            rank = RawSQL(
                f"ts_rank({self.model._meta.db_table}.name_document, to_tsquery('simple', %s))",
                [prefix_tsquery(words, operator="|")],
                output_field=models.FloatField(),
            )
            return self.filter(pk__any_of=ids).alias(search_rank=rank).order_by("-search_rank", "case_id")
        from .models import Quote

        matches = Q()
        for word in words:
            pattern = " " + word  # contains: LIKE '% word%', a word starting with it
            in_quotes = Quote.objects.alias(
                text_words=Func(F("text"), function="testimony_words"),
                translation_words=Func(F("translation"), function="testimony_words"),
            ).filter(Q(text_words__contains=pattern) | Q(translation_words__contains=pattern), defector=OuterRef("pk"))
            matches &= Q(name_words__contains=pattern) | Exists(in_quotes)
        return self.alias(name_words=Func(F("name"), function="testimony_words")).filter(matches)

    def with_quote_count(self):
        """A correlated count rather than a GROUP BY: PostgreSQL evaluates it only for
        the rows a page returns (and the paginator's count leaves it out), except
        when ordering by it."""
        from .models import Quote

        counts = Quote.objects.filter(defector=OuterRef("pk")).order_by().values("defector").annotate(n=Count("pk"))
        return self.annotate(quote_count=Coalesce(Subquery(counts.values("n")), 0))


class QuoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Quotes of defectors the user may see."""
        if can_view_restricted(user):
            return self
        return self.filter(defector__visibility="public")
