"""The admin's access policy (accounts/admin_policy.py), attacked the way the security review
did (issue 12): query-string lookups that count identity values or restricted records,
autocomplete, foreign-key choices, delete confirmations, history and revert, "view on site",
NUL bytes and invalid regular expressions. Each vector is tried as every role, on the
marker records of the permission matrix (PUBLIC and RESTRICTED, identity fields set).
"""

import re

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.admin_policy import HIDDEN_RECORDS, AccessPolicyAdmin
from narratives.models import Narrative, Tag
from testimony.admin import DefectorAdmin
from testimony.models import Defector, Quote, Source
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, UserFactory
from tests.security.test_permission_matrix import (
    CUSTODIAN,
    IDENTITY_MARKERS,
    RESEARCHER,
    RESTRICTED_MARKERS,
    ROLES,
    STAFF,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def log_in(role):
        if ROLES[role] is not None:
            client.force_login(UserFactory(username=role, is_staff=role in STAFF, roles=ROLES[role]))
        return client

    return log_in


def refused_without_an_answer(response) -> bool:
    """The admin's "invalid lookup" handling: DisallowedModelAdminLookup is a 400, an
    incorrect value the ``?e=1`` redirect; either way no result count and no record."""
    body = response.content.decode()
    no_answer = not re.search(r"\d+ (defector|quote|source|tag|narrative)s?\b", body)
    no_record = not [m for m in IDENTITY_MARKERS + RESTRICTED_MARKERS if m in body]
    if response.status_code == 302:
        return response.url.endswith("e=1") and no_record
    return response.status_code == 400 and no_answer and no_record


def sent_to_login(response) -> bool:
    return response.status_code == 302 and "/admin/login/" in response.url


# Lookups the admin offers no filter for. On the old code the first ones answered with a count
# ("2 defectors" / "0 defectors"), which a binary search turned into the identity values;
# the ones through relations Django already refused, and must keep refusing.
PROBING_LOOKUPS = [
    "/admin/testimony/defector/?legal_name__startswith=LEGALMARK",
    "/admin/testimony/defector/?current_location__regex=^LOCATIONMARK-R",
    "/admin/testimony/defector/?contact_notes__icontains=CONTACTMARK",
    "/admin/testimony/defector/?legal_name=LEGALMARK-P",
    "/admin/testimony/defector/?name__startswith=Marker+Restricted",
    "/admin/testimony/defector/?quotes__text__contains=restricted+quote",
    "/admin/testimony/quote/?defector__legal_name__startswith=LEGALMARK",
    "/admin/testimony/quote/?defector__visibility=restricted",
    "/admin/testimony/quote/?text__contains=restricted",
    "/admin/narratives/tag/?quote__defector__contact_notes__regex=CONTACT",
    "/admin/narratives/tag/?quote__text__startswith=A+restricted",
    "/admin/testimony/source/?defectors__legal_name__startswith=LEGALMARK",
    "/admin/testimony/source/?quotes__defector__current_location__contains=LOCATIONMARK",
    "/admin/testimony/source/?quotes__defector__visibility=restricted",
    "/admin/testimony/outlet/?sources__quotes__defector__legal_name__regex=.",
    "/admin/narratives/narrative/?tags__quote__defector__legal_name__startswith=L",
    "/admin/reports/study/?title__regex=.",
]


@pytest.mark.parametrize("url", PROBING_LOOKUPS)
@pytest.mark.parametrize("role", list(ROLES))
def test_lookups_the_admin_does_not_offer_are_refused_for_every_role(login, marked_defectors, role, url):
    response = login(role).get(url)
    if role in STAFF:
        assert refused_without_an_answer(response), (response.status_code, response.content[:300])
    else:
        assert sent_to_login(response)


@pytest.mark.parametrize("role", [RESEARCHER, CUSTODIAN])
def test_an_identity_lookup_gives_the_same_answer_whether_it_matches_or_not(login, marked_defectors, role):
    client = login(role)
    hit = client.get("/admin/testimony/defector/?legal_name__startswith=LEGALMARK-R")
    miss = client.get("/admin/testimony/defector/?legal_name__startswith=NOBODY")
    assert hit.status_code == miss.status_code == 400


def test_superusers_cannot_probe_identity_fields_through_other_apps_admins(client, marked_defectors, settings):
    """A site admin who has not passed the TOTP step has no identity access either; the
    user admin (django.contrib.auth's) reaches tags, quotes and defectors through relations."""
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = True
    client.force_login(UserFactory(username="siteadmin", is_staff=True, is_superuser=True))
    response = client.get("/admin/auth/user/?narrative_tags__quote__defector__legal_name__startswith=L")
    assert refused_without_an_answer(response)
    assert client.get("/admin/auth/user/?is_staff__exact=1").status_code == 200


def changelist_filter_links(client, url):
    """Every link of the changelist's filters and date hierarchy, as the admin renders them."""
    response = client.get(url)
    assert response.status_code == 200
    links = set(re.findall(r'href="(\?[^"#]*)"', response.content.decode()))
    return {link.replace("&amp;", "&") for link in links if "=" in link}


@pytest.mark.parametrize(
    "changelist",
    [
        "/admin/testimony/defector/",
        "/admin/testimony/quote/",
        "/admin/testimony/source/",
        "/admin/testimony/outlet/",
        "/admin/narratives/narrative/",
        "/admin/narratives/tag/",
        "/admin/reports/publishedfigure/",
    ],
)
def test_every_filter_the_admin_offers_still_works(client, custodian, marked_defectors, changelist):
    client.force_login(custodian)
    links = changelist_filter_links(client, changelist) | changelist_filter_links(client, changelist + "?_facets=1")
    assert links
    for link in sorted(links):
        response = client.get(changelist + link)
        assert response.status_code == 200, link
    # And the date hierarchy's year and month, where there is one.
    if changelist == "/admin/testimony/defector/":
        drill = client.get(changelist + "?reported_on__year=2015&reported_on__month=7")
        assert "MX-RESTRICTED" in drill.content.decode()


def test_the_identity_rule_holds_for_filters_and_searches_an_admin_might_add(rf, researcher, custodian):
    """Should someone add an identity field to list_filter or search_fields, users without
    identity access still get neither the filter nor the search."""

    class CarelessDefectorAdmin(DefectorAdmin):
        list_filter = [*DefectorAdmin.list_filter, "legal_name"]
        search_fields = [*DefectorAdmin.search_fields, "contact_notes", "quotes__defector__current_location"]

    model_admin = CarelessDefectorAdmin(Defector, admin.site)
    for user, allowed in [(researcher, False), (custodian, True)]:
        request = rf.get("/")
        request.user = user
        assert model_admin.lookup_allowed("legal_name__exact", "x", request) is allowed
        assert ("legal_name" in model_admin.get_list_filter(request)) is allowed
        assert ("contact_notes" in model_admin.get_search_fields(request)) is allowed
        assert ("quotes__defector__current_location" in model_admin.get_search_fields(request)) is allowed


def test_every_admin_on_the_site_follows_the_policy():
    """Including other apps' admins (auth, axes, django-otp, DRF tokens): the site mixes the
    policy into whatever is registered with it."""
    assert admin.site._registry
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AccessPolicyAdmin), model


# --- NUL bytes and invalid input ---------------------------------------------------------

# (url, what the admin answers): a NUL anywhere in the query string is a 400 naming it; a lookup
# it does not offer (a regular expression included: an invalid one was a 500 on SQLite) is a
# 400; a bad value of a lookup it offers is its "?e=1" page; an id too large for the column
# simply matches nothing.
NUL, REFUSED, INVALID_VALUE, NO_MATCH = "NUL", "refused", "invalid value", "no match"
BAD_INPUT = [
    ("/admin/testimony/defector/?name=a%00b", NUL),
    ("/admin/testimony/defector/?sex__exact=a%00b", NUL),
    ("/admin/testimony/defector/?q=%00", NUL),
    ("/admin/testimony/quote/?q=abc%00", NUL),
    ("/admin/narratives/tag/?q=%00", NUL),
    ("/admin/testimony/source/?q=x&language__exact=%00", NUL),
    ("/admin/auth/user/?q=%00", NUL),
    ("/admin/testimony/defector/?a%00b=1", NUL),
    ("/admin/autocomplete/?app_label=testimony&model_name=quote&field_name=defector&term=%00", NUL),
    ("/admin/autocomplete/?app_label=narratives&model_name=tag&field_name=quote&term=a%00", NUL),
    ("/admin/testimony/defector/?name__regex=(", REFUSED),
    ("/admin/testimony/defector/?sex__regex=(", REFUSED),
    ("/admin/testimony/quote/?text__iregex=[", REFUSED),
    ("/admin/testimony/defector/?reported_on__year=20x5", INVALID_VALUE),
    ("/admin/testimony/defector/?reported_on__gte=2015-01-01", REFUSED),  # its date hierarchy gives year/month/day
    ("/admin/testimony/source/?published_on__gte=2015-13-45", INVALID_VALUE),
    ("/admin/testimony/quote/?narratives__id__exact=abc", INVALID_VALUE),
    ("/admin/testimony/quote/?narratives__id__exact=99999999999999999999999", NO_MATCH),
]


@pytest.mark.parametrize("url, answer", BAD_INPUT)
@pytest.mark.parametrize("role", list(ROLES))
def test_nul_bytes_and_invalid_input_are_a_400_or_the_invalid_lookup_page(client, marked_defectors, role, url, answer):
    if ROLES[role] is not None:
        user = UserFactory(username=role, is_staff=role in STAFF, roles=ROLES[role])
        user.is_superuser = url.startswith("/admin/auth/")  # only site admins reach the user admin
        user.save()
        client.force_login(user)
    response = client.get(url)
    if answer == NUL:  # refused before any view runs, whoever asks (config.middleware.RefuseNulMiddleware)
        assert response.status_code == 400
        assert "contains a NUL character" in response.content.decode()
    elif role not in STAFF:
        assert sent_to_login(response)
    elif answer == REFUSED:
        assert response.status_code == 400 and refused_without_an_answer(response)
    elif answer == INVALID_VALUE:
        assert response.status_code == 302 and refused_without_an_answer(response)
    else:
        assert response.status_code == 200 and response.context["cl"].result_count == 0


# --- autocomplete and foreign-key choices ------------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
def test_the_quote_add_form_neither_offers_nor_accepts_a_restricted_case(login, marked_defectors, role):
    client = login(role)
    restricted, public = marked_defectors["restricted"], marked_defectors["public"]
    # Django pre-fills a field from the query string: the widget would print the case it names.
    form = client.get(f"/admin/testimony/quote/add/?defector={restricted}")
    response = client.post(
        "/admin/testimony/quote/add/",
        {"defector": restricted, "source": SourceFactory().pk, "text": "Planted.", "language": "en"},
        follow=True,
    )
    planted = Quote.objects.filter(text="Planted.")
    if role not in STAFF:
        assert sent_to_login(form)
        assert not planted.exists()
        return
    shown = [m for m in RESTRICTED_MARKERS if m in form.content.decode()]
    if role == CUSTODIAN:
        assert shown and planted.get().defector_id == restricted
        assert "MX-RESTRICTED" in response.content.decode()  # the success message names the case to them
    else:
        assert shown == []
        assert not planted.exists()
        body = response.content.decode()
        assert "Select a valid choice" in body
        assert not [m for m in RESTRICTED_MARKERS if m in body]
    # A public case stays available to every researcher.
    client.post(
        "/admin/testimony/quote/add/",
        {"defector": public, "source": SourceFactory().pk, "text": "Fine.", "language": "en"},
    )
    assert Quote.objects.get(text="Fine.").defector_id == public


@pytest.mark.parametrize("role", list(ROLES))
def test_the_tag_add_form_neither_offers_nor_accepts_a_restricted_quote(login, marked_defectors, role):
    client = login(role)
    restricted_quote = marked_defectors["restricted_quote"]
    form = client.get(f"/admin/narratives/tag/add/?quote={restricted_quote}")
    corruption = Narrative.objects.get(code="corruption")
    response = client.post(
        "/admin/narratives/tag/add/", {"quote": restricted_quote, "narrative": corruption.pk, "note": ""}, follow=True
    )
    planted = Tag.objects.filter(quote_id=restricted_quote, narrative=corruption)
    if role not in STAFF:
        assert sent_to_login(form) and not planted.exists()
    elif role == CUSTODIAN:
        assert "restricted quote marker" in form.content.decode()
        assert planted.exists()
    else:
        assert not [m for m in RESTRICTED_MARKERS if m in form.content.decode()]
        assert "Select a valid choice" in response.content.decode()
        assert not planted.exists()


@pytest.mark.parametrize("role", [RESEARCHER, CUSTODIAN])
def test_autocomplete_never_matches_identity_fields_nor_lists_restricted_records(login, marked_defectors, role):
    client = login(role)
    autocomplete = "/admin/autocomplete/?app_label=testimony&model_name=quote&field_name=defector&term="
    for term in ["LEGALMARK-R", "LOCATIONMARK", "CONTACTMARK-P"]:
        assert client.get(autocomplete + term).json()["results"] == []
    cases = [r["text"] for r in client.get(autocomplete + "Marker").json()["results"]]
    assert any("MX-PUBLIC" in c for c in cases)
    assert any("MX-RESTRICTED" in c for c in cases) == (role == CUSTODIAN)


# --- delete confirmations ----------------------------------------------------------------


@pytest.fixture
def shared_source(marked_defectors):
    """One source quoting both the public and the restricted case."""
    source = SourceFactory(title="A source of both cases")
    Quote.objects.filter(pk__in=[marked_defectors["public_quote"], marked_defectors["restricted_quote"]]).update(
        source=source
    )
    return source


@pytest.mark.parametrize("role", list(ROLES))
def test_deleting_a_source_with_restricted_quotes_names_none_of_them(login, shared_source, role):
    client = login(role)
    url = reverse("admin:testimony_source_delete", args=[shared_source.pk])
    page = client.get(url)
    post = client.post(url, {"post": "yes"})
    if role not in STAFF:
        assert sent_to_login(page) and sent_to_login(post)
        return
    body = page.content.decode()
    if role == CUSTODIAN:
        assert "restricted quote marker" in body  # protected quotes listed, as Django does
        assert HIDDEN_RECORDS not in body
    else:
        assert not [m for m in RESTRICTED_MARKERS if m in body]
        assert "public quote marker" not in body  # not a partial list either: nothing is listed
        assert HIDDEN_RECORDS in body
        assert post.status_code == 403
    assert Source.objects.filter(pk=shared_source.pk).exists()  # quotes protect their source anyway


@pytest.mark.parametrize("role", [RESEARCHER, CUSTODIAN])
def test_the_bulk_delete_action_names_no_restricted_record_either(login, marked_defectors, role):
    client = login(role)
    brutality = Narrative.objects.get(code="brutality")  # tags of both cases protect it
    data = {"action": "delete_selected", "_selected_action": [brutality.pk]}
    page = client.post("/admin/narratives/narrative/", data)
    body = page.content.decode()
    assert page.status_code == 200
    restricted_tag = f"on quote {marked_defectors['restricted_quote']}"
    assert (restricted_tag in body) == (role == CUSTODIAN)
    assert (HIDDEN_RECORDS in body) == (role != CUSTODIAN)
    confirmed = client.post("/admin/narratives/narrative/", {**data, "post": "yes"})
    if role != CUSTODIAN:
        assert confirmed.status_code == 403
    assert Narrative.objects.filter(pk=brutality.pk).exists()


@pytest.mark.parametrize("role", [RESEARCHER, CUSTODIAN])
def test_deleting_records_one_may_see_works_as_before(login, role):
    client = login(role)
    defector = DefectorFactory(case_id="DEL-1")
    QuoteFactory(defector=defector, text="To be deleted with its case.")
    page = client.get(reverse("admin:testimony_defector_delete", args=[defector.pk]))
    assert "To be deleted with its case." in page.content.decode()
    client.post(reverse("admin:testimony_defector_delete", args=[defector.pk]), {"post": "yes"})
    assert not Defector.objects.filter(case_id="DEL-1").exists()


# --- history and revert ------------------------------------------------------------------

REVERTED_FORM = {
    "case_id": "REV-1",
    "name": "name before",
    "sex": "male",
    "country": "SY",
    "role": "unknown",
    "status": "unknown",
    "reported_on": "2015-03-14",
    "reported_precision": "day",
    "defected_on": "",
    "defected_precision": "",
    "notes": "",
    "provenance": "synthetic",
    "visibility": "public",
    "sources": [],
}


@pytest.fixture
def edited_defector():
    """A case recorded first without identity fields, then given them (and a new name)."""
    defector = DefectorFactory(case_id="REV-1", name="name before")
    first_version = defector.history.latest().history_id
    defector.name = "name after"
    defector.legal_name, defector.current_location, defector.contact_notes = "LEGAL-V2", "LOCATION-V2", "CONTACT-V2"
    defector.save()
    return defector, first_version


@pytest.mark.parametrize("role", list(ROLES))
def test_reverting_history_never_writes_identity_fields_without_identity_access(login, edited_defector, role):
    defector, first_version = edited_defector
    client = login(role)
    url = reverse("admin:testimony_defector_simple_history", args=[defector.pk, first_version])
    page = client.get(url)
    data = dict(REVERTED_FORM)
    if role == CUSTODIAN:
        data.update(legal_name="", current_location="", contact_notes="")  # what the version holds
    else:
        data.update(legal_name="OVERWRITTEN")  # not a field of their form: ignored
    response = client.post(url, data)
    defector.refresh_from_db()
    identity = (defector.legal_name, defector.current_location, defector.contact_notes)
    if role not in STAFF:
        assert sent_to_login(page) and sent_to_login(response)
        assert defector.name == "name after"
    elif role == RESEARCHER:
        assert response.status_code == 302
        assert defector.name == "name before"  # the revert happened
        assert identity == ("LEGAL-V2", "LOCATION-V2", "CONTACT-V2")  # and kept today's identity
        body = page.content.decode()
        assert not [marker for marker in ("LEGAL-V2", "LOCATION-V2", "CONTACT-V2") if marker in body]
    else:
        assert response.status_code == 302
        assert (defector.name, identity) == ("name before", ("", "", ""))  # a custodian restores it all


@pytest.mark.parametrize("role", [RESEARCHER, CUSTODIAN])
def test_reverting_a_restricted_case_is_not_possible_without_seeing_it(login, marked_defectors, role):
    client = login(role)
    restricted = Defector.objects.get(pk=marked_defectors["restricted"])
    version = marked_defectors["restricted_version"]
    url = reverse("admin:testimony_defector_simple_history", args=[restricted.pk, version])
    response = client.post(url, {**REVERTED_FORM, "case_id": "MX-RESTRICTED", "name": "renamed"})
    restricted.refresh_from_db()
    if role == RESEARCHER:
        assert response.status_code == 404
        assert restricted.name == "Marker Restricted Name" and restricted.legal_name == "LEGALMARK-R"
    else:
        assert response.status_code == 302 and restricted.name == "renamed"


@pytest.fixture
def moved_quote(marked_defectors):
    """The restricted case's quote, since moved to the public case (its old version names the restricted case)."""
    quote = Quote.objects.get(pk=marked_defectors["restricted_quote"])
    old_version = quote.history.latest().history_id
    quote.defector_id = marked_defectors["public"]
    quote.save()
    return quote, old_version


@pytest.mark.parametrize("role", [RESEARCHER, CUSTODIAN])
def test_history_of_a_quote_once_on_a_restricted_case(login, marked_defectors, moved_quote, role):
    client = login(role)
    quote, old_version = moved_quote
    history = client.get(reverse("admin:testimony_quote_history", args=[quote.pk]))
    assert history.status_code == 200
    assert ("MX-RESTRICTED" in history.content.decode()) == (role == CUSTODIAN)
    version_url = reverse("admin:testimony_quote_simple_history", args=[quote.pk, old_version])
    version = client.get(version_url)
    revert = client.post(
        version_url,
        {"defector": marked_defectors["restricted"], "source": quote.source_id, "text": quote.text, "language": "en"},
    )
    quote.refresh_from_db()
    if role == RESEARCHER:
        assert version.status_code == revert.status_code == 404
        assert quote.defector_id == marked_defectors["public"]
    else:
        assert "MX-RESTRICTED" in version.content.decode()
        assert revert.status_code == 302 and quote.defector_id == marked_defectors["restricted"]


# --- view on site ------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
def test_view_on_site_gives_no_restricted_case_away(login, marked_defectors, role):
    client = login(role)
    content_type = ContentType.objects.get_for_model(Defector).pk
    restricted = client.get(f"/admin/r/{content_type}/{marked_defectors['restricted']}/")
    public = client.get(f"/admin/r/{content_type}/{marked_defectors['public']}/")
    if role not in STAFF:
        assert sent_to_login(restricted) and "MX-RESTRICTED" not in restricted.url
    elif role == CUSTODIAN:
        assert restricted.status_code == 302 and restricted.url.endswith("/defectors/MX-RESTRICTED/")
    else:
        assert restricted.status_code == 404
        assert "MX-RESTRICTED" not in restricted.content.decode()
    if role in STAFF:
        assert public.status_code == 302 and public.url.endswith("/defectors/MX-PUBLIC/")
    assert client.get(f"/admin/r/{content_type}/not-an-id/").status_code in (302, 404)
