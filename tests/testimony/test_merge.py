"""services.defector_merge: one person entered twice becomes one record; the
old case ID keeps resolving."""

import pytest
from django.core.exceptions import ValidationError

from narratives.models import Tag
from testimony.models import Defector, DefectorAlias, Quote
from testimony.services import defector_merge
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(db):
    keep = DefectorFactory(case_id="K-1", name="Abu Omar al-Shami", notes="From the BBC.", visibility="public")
    absorb = DefectorFactory(case_id="A-1", name="Abu Omar al Shami", notes="From Al Jazeera.", visibility="public")
    shared, own = SourceFactory(), SourceFactory()
    keep.sources.add(shared)
    absorb.sources.add(shared, own)
    QuoteFactory(defector=keep, source=shared)
    TagFactory(quote=QuoteFactory(defector=absorb, source=own))
    QuoteFactory(defector=absorb, source=shared)
    return keep, absorb


def test_everything_the_absorbed_record_had_moves_to_the_kept_one(pair, researcher):
    keep, absorb = pair
    sources = {*keep.sources.all(), *absorb.sources.all()}
    absorbed_quotes = set(absorb.quotes.values_list("pk", flat=True))
    kept = defector_merge(keep=keep, absorb=absorb, user=researcher)
    assert set(kept.sources.all()) == sources
    assert kept.quotes.count() == 3 and absorbed_quotes <= set(kept.quotes.values_list("pk", flat=True))
    assert Tag.objects.filter(quote__defector=kept).count() == 1
    assert kept.notes == "From the BBC.\n\nFrom merged case A-1: From Al Jazeera."
    assert not Defector.objects.filter(case_id="A-1").exists()
    assert DefectorAlias.objects.get(case_id="A-1").defector == kept


def test_both_histories_stay_with_the_reason_and_user(pair, researcher):
    keep, absorb = pair
    absorb_pk = absorb.pk
    defector_merge(keep=keep, absorb=absorb, user=researcher)
    absorbed = Defector.history.filter(id=absorb_pk).order_by("history_date")
    assert (absorbed.first().history_type, absorbed.last().history_type) == ("+", "-")
    assert absorbed.last().history_change_reason == "Merged A-1 into K-1"
    assert absorbed.last().history_user == researcher
    kept_last = Defector.history.filter(id=keep.pk).latest("history_date")
    assert kept_last.history_change_reason == "Merged A-1 into K-1"
    moved = Quote.history.filter(defector_id=keep.pk, history_type="~")
    assert moved.count() == 2 and {h.history_change_reason for h in moved} == {"Merged A-1 into K-1"}


def test_the_old_page_redirects_and_the_api_points_to_the_kept_record(pair, client, researcher):
    keep, absorb = pair
    defector_merge(keep=keep, absorb=absorb, user=researcher)
    client.force_login(researcher)
    page = client.get("/defectors/A-1/")
    assert (page.status_code, page["Location"]) == (301, "/defectors/K-1/")
    api = client.get("/api/v1/defectors/A-1/")
    assert api.status_code == 301 and api["Location"].endswith("/api/v1/defectors/K-1/")
    assert api.json() == {"detail": "A-1 was merged into K-1.", "errors": {}, "merged_into": "K-1"}
    assert client.get("/defectors/NEVER-1/").status_code == 404


def test_an_alias_to_a_restricted_record_stays_a_404_for_those_who_may_not_see_it(pair, client, custodian, analyst):
    keep, absorb = pair
    Defector.objects.filter(pk=keep.pk).update(visibility="restricted")
    defector_merge(keep=keep, absorb=absorb, user=custodian)
    client.force_login(analyst)
    assert client.get("/defectors/A-1/").status_code == 404
    assert client.get("/api/v1/defectors/A-1/").status_code == 404


def test_a_merged_case_id_is_never_given_to_a_new_case(pair, researcher):
    keep, absorb = pair
    defector_merge(keep=keep, absorb=absorb, user=researcher)
    newcomer = DefectorFactory.build(case_id="a-1")
    with pytest.raises(ValidationError) as refused:
        newcomer.full_clean()
    assert refused.value.message_dict["case_id"] == ["case A-1 was merged into K-1; its ID stays reserved"]


def test_identity_fields_kept_and_appended_for_custodians_refused_for_others(pair, researcher, custodian):
    keep, absorb = pair
    Defector.objects.filter(pk=keep.pk).update(legal_name="Omar S.", contact_notes="Via lawyer.")
    Defector.objects.filter(pk=absorb.pk).update(legal_name="Omar Shami", current_location="Gaziantep")
    with pytest.raises(ValidationError, match="an identity custodian must merge it"):
        defector_merge(keep=keep, absorb=absorb, user=researcher)
    assert Defector.objects.filter(case_id="A-1").exists()
    kept = defector_merge(keep=keep, absorb=absorb, user=custodian)
    assert kept.legal_name == "Omar S."
    assert kept.contact_notes == (
        "Via lawyer.\n\nFrom merged case A-1:\nlegal name: Omar Shami\ncurrent location: Gaziantep"
    )


def test_a_record_is_not_merged_into_itself(pair, researcher):
    keep, _ = pair
    with pytest.raises(ValidationError, match="into itself"):
        defector_merge(keep=keep, absorb=keep, user=researcher)
