"""Query vocabulary for defectors and quotes.

Every surface (HTML pages, exports, API, report drill-downs, admin) asks
``visible_to(user)`` which defectors a user may see: this is the one place
that decides it.
"""

from django.db import connection, models
from django.db.models import Count, Q

from accounts.access import can_view_restricted


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

    def search(self, text: str):
        """Free-text search over names as published and quote text (never identity fields).

        On PostgreSQL this is full-text search ranked by relevance; on SQLite a
        case-insensitive substring match ordered as usual.
        """
        text = (text or "").strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            from .models import Quote

            query = SearchQuery(text, search_type="websearch", config="simple")
            quotes = Quote.objects.filter(defector=models.OuterRef("pk")).annotate(
                document=SearchVector("text", "translation", config="simple")
            )
            quote_rank = quotes.annotate(rank=SearchRank(models.F("document"), query)).order_by("-rank").values("rank")
            name_vector = SearchVector("name", config="simple")
            # Filter on the match itself (@@), not on rank > 0: ts_rank gives 1e-20,
            # not 0, to a document that does not match, so every row would pass.
            # Substring matches on the name keep partial words ("Barh") findable.
            return (
                self.alias(name_document=name_vector)
                .annotate(
                    search_rank=SearchRank(name_vector, query)
                    + models.functions.Coalesce(models.Subquery(quote_rank[:1]), 0.0, output_field=models.FloatField()),
                )
                .filter(
                    Q(name_document=query) | Q(models.Exists(quotes.filter(document=query))) | Q(name__icontains=text)
                )
                .order_by("-search_rank", "case_id")
            )
        return self.filter(
            Q(name__icontains=text) | Q(quotes__text__icontains=text) | Q(quotes__translation__icontains=text)
        ).distinct()

    def with_quote_count(self):
        return self.annotate(quote_count=Count("quotes", distinct=True))


class QuoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Quotes of defectors the user may see."""
        if can_view_restricted(user):
            return self
        return self.filter(defector__visibility="public")
