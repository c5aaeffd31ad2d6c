"""The tag admin codes quotes through narratives.services.quote_tag."""

import pytest
from django.urls import reverse

from narratives.models import Narrative, Tag
from tests.factories import QuoteFactory

pytestmark = pytest.mark.django_db


def tag_form(quote, narrative, **overrides):
    return {"quote": quote.pk, "narrative": narrative.pk, "coder": "", "note": "Says so in para 2.", **overrides}


def test_a_new_tag_is_coded_by_the_signed_in_researcher(client, researcher):
    client.force_login(researcher)
    quote, brutality = QuoteFactory(), Narrative.objects.get(code="brutality")
    response = client.post(reverse("admin:narratives_tag_add"), tag_form(quote, brutality))
    assert response.status_code == 302, response.context["adminform"].form.errors
    tag = Tag.objects.get(quote=quote)
    assert (tag.narrative, tag.coder, tag.note) == (brutality, researcher, "Says so in para 2.")
    assert tag.history.get().history_user == researcher
    assert response.url == reverse("admin:narratives_tag_changelist")


def test_coding_a_quote_again_keeps_the_one_tag(client, researcher):
    client.force_login(researcher)
    quote, brutality = QuoteFactory(), Narrative.objects.get(code="brutality")
    client.post(reverse("admin:narratives_tag_add"), tag_form(quote, brutality))
    response = client.post(reverse("admin:narratives_tag_add"), tag_form(quote, brutality, note="Also para 5."))
    assert response.status_code == 302  # the form names no coder, so only the service knows it is the same tag
    assert list(Tag.objects.values_list("coder", "note")) == [(researcher.pk, "Also para 5.")]


def test_a_tag_may_be_recorded_for_another_coder(client, researcher, custodian):
    client.force_login(researcher)
    quote, brutality = QuoteFactory(), Narrative.objects.get(code="brutality")
    client.post(reverse("admin:narratives_tag_add"), tag_form(quote, brutality, coder=custodian.pk))
    assert Tag.objects.get(quote=quote).coder == custodian
