"""Writes to defectors, sources, outlets and quotes. The admin, importer and API all come here.

Every service runs the model's ``full_clean()`` first, so a bad value is a
Django ValidationError naming the field (the API turns it into a 400 with that
field, the admin shows it beside it). The change history's user comes from
the request (simple_history's middleware; DRF sets the token's user on it).
"""

from collections.abc import Iterable

from django.db import transaction

from .models import Defector, Outlet, Quote, Source


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


@transaction.atomic
def defector_save(*, defector: Defector, sources: Iterable[Source] | None = None) -> Defector:
    """Validate and save a defector; ``sources`` (when given) replaces its sources,
    keeping every source it is quoted from (see quote_save)."""
    defector.full_clean()
    defector.save()
    if sources is not None:
        defector.sources.set(sources)
        defector_attach_quote_sources(defector=defector)
    return defector


@transaction.atomic
def source_save(*, source: Source) -> Source:
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def outlet_save(*, outlet: Outlet) -> Outlet:
    outlet.full_clean()
    outlet.save()
    return outlet
