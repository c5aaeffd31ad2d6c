"""The queue is blind, reliability agrees with the krippendorff package, and
adjudication needs its permission; query counts pinned."""

import io
import json

import krippendorff
import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from coding.models import CodingDecision
from coding.services import coding_decide
from narratives.models import Tag

# amina's and boris's decisions on six quotes (brutality: 1, none: 0).
AMINA = [["brutality"], ["brutality"], [], ["corruption"], [], ["brutality", "corruption"]]
BORIS = [["brutality"], [], [], ["corruption"], ["brutality"], ["brutality"]]


@pytest.fixture
def coded(coders, codebook, quotes):
    for quote, first, second in zip(quotes, AMINA, BORIS, strict=True):
        coding_decide(quote=quote, coder=coders[0], narratives=[codebook[c] for c in first])
        coding_decide(quote=quote, coder=coders[1], narratives=[codebook[c] for c in second])
    return quotes


def expected_alpha(code):
    data = np.array([[float(code in d) for d in AMINA], [float(code in d) for d in BORIS]])
    return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1])


def test_the_queue_hides_other_coders_tags_until_you_have_coded(client, coders, codebook, quotes):
    first = quotes[0]
    coding_decide(quote=first, coder=coders[1], narratives=[codebook["corruption"]])
    client.force_login(coders[0])
    response = client.get(reverse("coding:queue"))
    assert response.status_code == 302 and response["Location"] == reverse("coding:quote", args=[first.pk])
    page = client.get(reverse("coding:quote", args=[first.pk])).content.decode()
    assert "Hidden until you have coded this quote" in page and "boris" not in page
    response = client.post(reverse("coding:quote", args=[first.pk]), {"narrative": ["brutality"]})
    assert response["Location"] == reverse("coding:quote", args=[quotes[1].pk])
    page = client.get(reverse("coding:quote", args=[first.pk])).content.decode()
    assert "boris" in page and "Corruption and un-Islamic conduct" in page


def test_none_applies_is_a_decision_and_an_empty_save_is_refused(client, coders, quotes):
    client.force_login(coders[0])
    url = reverse("coding:quote", args=[quotes[0].pk])
    response = client.post(url, {})
    assert response.status_code == 400 and "None applies" in response.content.decode()
    assert not CodingDecision.objects.exists()
    client.post(url, {"none": "1"})
    assert CodingDecision.objects.get().quote == quotes[0]
    assert not Tag.objects.exists()


def test_the_queue_takes_any_quote_filter_and_names_a_bad_one(client, coders, quotes):
    client.force_login(coders[0])
    woman = quotes[3].defector
    woman.sex = "female"
    woman.save()
    response = client.get(reverse("coding:queue"), {"sex": "female"})
    assert response["Location"] == reverse("coding:quote", args=[quotes[3].pk]) + "?sex=female"
    response = client.get(reverse("coding:queue"), {"sex": "nobody"})
    assert response.status_code == 400 and "sex" in response.content.decode()


def test_analysts_cannot_code(client, analyst, quotes):
    client.force_login(analyst)
    assert client.get(reverse("coding:queue")).status_code == 403


def test_queue_page_query_count(client, coded, coders, django_assert_num_queries):
    client.force_login(coders[0])
    url = reverse("coding:quote", args=[coded[2].pk])
    client.get(url)
    with django_assert_num_queries(13):  # session, user, perms; quote, codebook, decision, own and others' tags ...
        assert client.get(url).status_code == 200


def test_reliability_api_equals_the_package(client, coded, coders):
    client.force_login(coders[0])
    report = client.get("/api/v1/reliability/", {"coder": ["amina", "boris"]}).json()
    assert report["coders"] == ["amina", "boris"]
    for code in ("brutality", "corruption"):
        assert report["narratives"][code]["alpha"] == pytest.approx(expected_alpha(code), abs=1e-4)
        assert report["narratives"][code]["units"] == 6
        low, high = report["narratives"][code]["alpha_ci"]
        assert low <= report["narratives"][code]["alpha"] <= high
    assert report["narratives"]["brutality"]["percent_agreement"] == pytest.approx(4 / 6, abs=1e-4)
    assert [d["quote"] for d in report["disagreements"]] == [coded[1].pk, coded[4].pk, coded[5].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"coder": ["nobody", "amina"]}, "coder"), ({"narrative": "nonsense"}, "narrative"), ({"sex": "x"}, "sex")],
)
def test_reliability_api_names_the_bad_parameter(client, coded, coders, params, field):
    client.force_login(coders[0])
    response = client.get("/api/v1/reliability/", params)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_reliability_api_needs_an_account(client, coded):
    assert client.get("/api/v1/reliability/").status_code in (401, 403)


def test_reliability_page_and_its_query_count(client, coded, coders, django_assert_num_queries):
    client.force_login(coders[0])
    with django_assert_num_queries(9):  # session, user, perms, coders, codebook, decisions, users, tags, quotes
        page = client.get(reverse("coding:reliability")).content.decode()
    assert f"{expected_alpha('brutality'):.3f}" in page
    assert "only amina" in page and "reliable" in page


def test_reliability_command_json_and_text(coded):
    out = io.StringIO()
    call_command("reliability", "--coder", "amina", "--coder", "boris", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert set(report["narratives"]["brutality"]) >= {"units", "alpha", "alpha_ci", "percent_agreement", "kappa"}
    assert report["narratives"]["corruption"]["alpha"] == pytest.approx(expected_alpha("corruption"), abs=1e-4)
    out = io.StringIO()
    call_command("reliability", "--narrative", "brutality", stdout=out)
    assert "brutality" in out.getvalue() and "corruption" not in out.getvalue()
    with pytest.raises(CommandError, match="narrative"):
        call_command("reliability", "--narrative", "nonsense")


def test_three_coders_have_no_cohen_kappa(coded, codebook, reviewer):
    coding_decide(quote=coded[0], coder=reviewer, narratives=[codebook["brutality"]])
    out = io.StringIO()
    call_command("reliability", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["coders"] == ["amina", "boris", "rita"]
    assert report["narratives"]["brutality"]["kappa"] is None


def test_adjudication_needs_the_reviewer_permission(client, coded, coders, reviewer, django_assert_num_queries):
    client.force_login(coders[0])
    assert client.get(reverse("coding:adjudication")).status_code == 403
    client.force_login(reviewer)
    with django_assert_num_queries(6):  # session, user, perms, status counts, the page of quotes, narrative filter
        page = client.get(reverse("coding:adjudication")).content.decode()
    assert "disputed (3)" in page and "agreed (3)" in page
    response = client.post(
        reverse("coding:adjudicate", args=[coded[1].pk]), {"narrative": ["brutality"], "note": "clear"}
    )
    assert response.status_code == 302
    assert "adjudicated (1)" in client.get(reverse("coding:adjudication")).content.decode()


def test_a_nul_character_is_a_400_not_a_500(client, coded, coders):
    client.force_login(coders[0])
    response = client.get("/api/v1/reliability/", {"coder": ["a\x00b", "amina"]})
    # Refused before the view (config.middleware.RefuseNulMiddleware), in the API's error shape.
    assert response.status_code == 400 and "coder" in response.json()["errors"]


def test_saving_with_a_bad_filter_is_a_404_not_a_500(client, coders, quotes):
    client.force_login(coders[0])
    url = reverse("coding:quote", args=[quotes[0].pk]) + "?sex=nobody"
    assert client.post(url, {"none": "1"}).status_code == 404
    assert not CodingDecision.objects.exists()


def test_adjudicate_page_shows_both_codings_in_a_constant_number_of_queries(
    client, coded, reviewer, django_assert_num_queries
):
    client.force_login(reviewer)
    url = reverse("coding:adjudicate", args=[coded[5].pk])
    with django_assert_num_queries(8):  # session, user, two for perms, quote with status, decisions, tags, adjudication
        page = client.get(url).content.decode()
    assert "amina" in page and "boris" in page and "Corruption and un-Islamic conduct" in page
