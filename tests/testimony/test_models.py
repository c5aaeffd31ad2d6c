import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from narratives.models import Narrative, Tag
from testimony.models import Defector, Source
from testimony.services import quote_save
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_case_id_is_unique():
    DefectorFactory(case_id="ICSR15-001")
    with pytest.raises(IntegrityError), transaction.atomic():
        Defector.objects.create(case_id="ICSR15-001", name="x", reported_on=datetime.date(2015, 1, 1))


@pytest.mark.parametrize(
    "field, value",
    [
        ("sex", "woman"),
        ("visibility", "secret"),
        ("provenance", "invented"),
        ("reported_precision", "week"),
        ("role", "emir"),
    ],
)
def test_database_rejects_values_outside_the_choices(field, value):
    defector = DefectorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Defector.objects.filter(pk=defector.pk).update(**{field: value})


@pytest.mark.parametrize(
    "precision, day",
    [("month", datetime.date(2015, 8, 14)), ("year", datetime.date(2015, 8, 1))],
)
def test_database_rejects_partial_dates_not_on_the_first(precision, day):
    with pytest.raises(IntegrityError), transaction.atomic():
        DefectorFactory(reported_on=day, reported_precision=precision)


@pytest.mark.parametrize(
    "precision, given, stored",
    [
        ("day", datetime.date(2015, 8, 14), datetime.date(2015, 8, 14)),
        ("month", datetime.date(2015, 8, 14), datetime.date(2015, 8, 1)),
        ("year", datetime.date(2015, 8, 14), datetime.date(2015, 1, 1)),
    ],
)
def test_clean_normalises_partial_dates(precision, given, stored):
    defector = Defector(case_id="X-1", name="anonymous defector", reported_on=given, reported_precision=precision)
    defector.full_clean()
    assert defector.reported_on == stored


def test_future_report_date_is_rejected_with_a_message():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    defector = Defector(case_id="X-2", name="anonymous defector", reported_on=tomorrow)
    with pytest.raises(ValidationError) as excinfo:
        defector.full_clean()
    assert "in the future" in str(excinfo.value.message_dict["reported_on"])


def test_defection_date_needs_its_precision():
    defector = Defector(
        case_id="X-3",
        name="anonymous defector",
        reported_on=datetime.date(2015, 1, 1),
        defected_on=datetime.date(2014, 6, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        defector.full_clean()
    assert "defected_precision" in excinfo.value.message_dict


@pytest.mark.parametrize("case_id", ["ICSR 15", "-001", "a/b"])
def test_case_id_format_is_validated(case_id):
    defector = Defector(case_id=case_id, name="x", reported_on=datetime.date(2015, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        defector.full_clean()
    assert "case_id" in excinfo.value.message_dict


def test_saving_a_quote_attaches_its_source_to_the_defector():
    defector = DefectorFactory()
    source = SourceFactory()
    assert not defector.sources.exists()
    quote = QuoteFactory.build(defector=defector, source=source)
    quote_save(quote=quote)
    assert list(defector.sources.all()) == [source]


def test_quote_language_must_be_iso_639_1():
    quote = QuoteFactory.build(defector=DefectorFactory(), source=SourceFactory(), language="xx")
    with pytest.raises(ValidationError) as excinfo:
        quote_save(quote=quote)
    assert "language" in excinfo.value.message_dict


def test_source_url_is_unique_but_may_be_empty():
    SourceFactory(url="")
    SourceFactory(url="")
    SourceFactory(url="https://example.org/a")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(url="https://example.org/a")
    assert Source.objects.count() == 3


def test_a_quote_may_carry_the_same_narrative_from_several_coders_but_once_per_coder():
    quote = QuoteFactory()
    narrative = Narrative.objects.get(code="brutality")
    first, second = UserFactory(), UserFactory()
    Tag.objects.create(quote=quote, narrative=narrative, coder=first)
    Tag.objects.create(quote=quote, narrative=narrative, coder=second)
    Tag.objects.create(quote=quote, narrative=narrative, coder=None)
    for coder in (first, None):
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(quote=quote, narrative=narrative, coder=coder)
    assert quote.tags.count() == 3
    assert list(quote.narratives.distinct()) == [narrative]


def test_readable_strings():
    quote = QuoteFactory(defector=DefectorFactory(case_id="ICSR15-007", name="Usaid Barho"), text="x" * 80)
    assert str(quote.defector) == "ICSR15-007 Usaid Barho"
    assert str(quote).startswith("ICSR15-007: \u201cxxx") and str(quote).endswith("...\u201d")


def test_history_records_a_change_and_who_made_it():
    defector = DefectorFactory(name="anonymous defector")
    defector.name = "Abu Ibrahim"
    defector.save()
    latest, first = defector.history.all()[:2]
    assert (first.name, latest.name) == ("anonymous defector", "Abu Ibrahim")
    assert latest.diff_against(first).changed_fields == ["name"]


def test_visible_to_hides_restricted_defectors_from_users_without_the_permission(researcher, custodian):
    DefectorFactory(case_id="OPEN-1")
    DefectorFactory(case_id="HIDDEN-1", visibility="restricted")
    assert list(Defector.objects.visible_to(researcher).values_list("case_id", flat=True)) == ["OPEN-1"]
    assert Defector.objects.visible_to(custodian).count() == 2
