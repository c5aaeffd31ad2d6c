"""Writes to defectors, sources, outlets and quotes. The admin, importer and API all come here.

Every service runs the model's ``full_clean()`` first, so a bad value is a
Django ValidationError naming the field (the API turns it into a 400 with that
field, the admin shows it beside it). The change history's user comes from
the request (simple_history's middleware; DRF sets the token's user on it).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

from narratives.services import quote_set_narratives

from .models import Defector, Outlet, Quote, Source

CASE_ID_FIXED = "The case ID is the record's stable identifier and cannot change."


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


def defector_case_id_check(*, defector: Defector, case_id: str) -> None:
    """A saved defector keeps its case ID for good: the study's tables, exported
    CSV files, permalinks and the API's URLs all cite defectors by it, and an
    import matches rows to records by it. The admin shows it read-only once
    saved and the API refuses a change with this same message."""
    if defector.pk is None:
        return
    saved = Defector.objects.filter(pk=defector.pk).values_list("case_id", flat=True).first()
    if saved is not None and case_id != saved:
        raise ValidationError({"case_id": CASE_ID_FIXED}, code="case_id_fixed")


@transaction.atomic
def defector_save(*, defector: Defector, sources: Iterable[Source] | None = None) -> Defector:
    """Validate and save a defector; ``sources`` (when given) replaces its sources,
    keeping every source it is quoted from (see quote_save)."""
    defector_case_id_check(defector=defector, case_id=defector.case_id)
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


def case_warnings(defectors) -> list[str]:
    """What the apps above testimony have to say about these saved cases (e.g. "not counted
    in ICSR 2015 as published"): the functions settings.TESTIMONY_CASE_WARNINGS names,
    each taking the defectors and returning sentences. Named in settings, not imported,
    because reports imports testimony (the layers in pyproject.toml)."""
    return [warning for path in settings.TESTIMONY_CASE_WARNINGS for warning in import_string(path)(defectors)]


@dataclass
class QuoteEntry:
    """One quote of a case entry, before it has its defector and source."""

    quote: Quote
    narratives: list = field(default_factory=list)


@transaction.atomic
def case_entry_save(
    *, source: Source, defector: Defector, quotes: Iterable[QuoteEntry], coder=None
) -> tuple[Defector, list[Quote]]:
    """Save one article's case in one transaction (the entry page, /entry/): the source
    (and its outlet) if new, the defector (new, or an existing one gaining the source)
    and every quote from that source with its narratives tagged by ``coder``.

    Each record goes through its own service, as from the admin and the importer;
    a ValidationError from any of them undoes all the others.
    """
    if source.outlet.pk is None:
        # Assigning again copies the new primary key to source.outlet_id, which full_clean checks.
        source.outlet = outlet_save(outlet=source.outlet)
    if source.pk is None:
        source_save(source=source)
    kept = list(defector.sources.all()) if defector.pk else []
    defector_save(defector=defector, sources=[*kept, source])
    saved = []
    for entry in quotes:
        entry.quote.defector = defector
        entry.quote.source = source
        quote = quote_save(quote=entry.quote)
        quote_set_narratives(quote=quote, narratives=entry.narratives, coder=coder)
        saved.append(quote)
    return defector, saved


@transaction.atomic
def defector_merge(*, keep: Defector, absorb: Defector, user) -> Defector:
    """Merge ``absorb`` into ``keep``: one person entered twice.

    ``keep`` keeps its case ID and fields and gains ``absorb``'s sources and
    quotes (their narrative tags go with the quotes); ``absorb``'s notes are
    appended to its notes. ``absorb`` is then deleted, and its case ID becomes
    a DefectorAlias of ``keep`` (so its page redirects and its API URL points
    to ``keep``) and is never given to a new case. Both change histories stay;
    every row written records the reason "Merged A into B" and ``user``.

    Identity fields: ``keep``'s stay; ``absorb``'s non-empty ones are appended
    to ``keep``'s contact notes. Only a user with identity access may merge a
    record that holds identity fields, since merging would otherwise drop them
    unseen. Refused (ValidationError): merging a record into itself, or a
    record the user may not see.
    """
    from accounts.access import can_view_identity, can_view_restricted

    from .models import DefectorAlias, Visibility

    keep = Defector.objects.select_for_update().get(pk=keep.pk)
    absorb = Defector.objects.select_for_update().get(pk=absorb.pk)
    if keep.pk == absorb.pk:
        raise ValidationError("A record cannot be merged into itself.", code="merge_self")
    if not can_view_restricted(user) and Visibility.RESTRICTED in (keep.visibility, absorb.visibility):
        raise ValidationError("You may not merge restricted records.", code="merge_restricted")
    held = {name: getattr(absorb, name) for name in Defector.IDENTITY_FIELDS if getattr(absorb, name)}
    if held and not can_view_identity(user):
        raise ValidationError(
            f"{absorb.case_id} holds identity fields; an identity custodian must merge it.", code="merge_identity"
        )
    reason = f"Merged {absorb.case_id} into {keep.case_id}"[:100]

    if absorb.notes:
        keep.notes = "\n\n".join(filter(None, [keep.notes, f"From merged case {absorb.case_id}: {absorb.notes}"]))
    if held:
        lines = [f"{Defector._meta.get_field(name).verbose_name}: {value}" for name, value in held.items()]
        merged = f"From merged case {absorb.case_id}:\n" + "\n".join(lines)
        keep.contact_notes = "\n\n".join(filter(None, [keep.contact_notes, merged]))
    for record in (keep, absorb):
        record._change_reason = reason
        record._history_user = user
    keep.save()
    keep.sources.add(*absorb.sources.all())
    for quote in absorb.quotes.all():
        quote.defector = keep
        quote._change_reason = reason
        quote._history_user = user
        quote.save(update_fields=["defector", "updated_at"])
    DefectorAlias.objects.filter(defector=absorb).update(defector=keep)
    DefectorAlias.objects.create(case_id=absorb.case_id, defector=keep, merged_by=user, reason=reason)
    absorb.delete()
    return keep
