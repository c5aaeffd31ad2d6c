"""Writes to defectors, sources and quotes. The admin, importer and API all come here."""

from django.db import transaction

from .models import Defector, Quote, Source


@transaction.atomic
def quote_save(*, quote: Quote) -> Quote:
    """Validate and save a quote, attaching its source to its defector.

    A quote's source must be one of its defector's sources: rather than
    reject the quote, the source is attached, since printing the quote is
    itself evidence that the source covers the defector.
    """
    quote.full_clean()
    quote.save()
    quote.defector.sources.add(quote.source)
    return quote


def defector_attach_quote_sources(*, defector: Defector) -> None:
    """Re-attach every source a defector is quoted from (after its sources were edited)."""
    defector.sources.add(*Source.objects.filter(quotes__defector=defector).distinct())
