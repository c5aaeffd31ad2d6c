"""Report subsets requested without identity access go to the access log (issue 12,
finding 7): masked counts come back by subtracting two subsets (all, and all but
Britain), which no single response can prevent, so such requests are auditable."""

import pytest
from django.urls import reverse

from audit.models import AccessEvent, Action
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBSET_SURFACES = [
    "/reports/icsr-2015/?country_not=GB",
    "/reports/icsr-2015/print/?country_not=GB",
    "/api/v1/reports/icsr-2015/?country_not=GB",
]


@pytest.mark.parametrize("url", SUBSET_SURFACES)
def test_an_analysts_subset_request_is_logged_with_its_query(client, analyst, icsr_study, settings, url):
    settings.TESTIMONY_MIN_CELL = 3
    client.force_login(analyst)

    assert client.get(url).status_code == 200

    event = AccessEvent.objects.get()
    assert (event.username, event.action) == ("analyst", Action.REPORT_SUBSET)
    assert event.path == url.partition("?")[0]
    assert event.query_string == "country_not=GB"
    assert event.parameters == {"study": ["icsr-2015"], "country_not": ["GB"]}
    assert event.record_count == 56  # the subset's true total: 58 less the 2 British defectors


def test_the_differencing_pair_leaves_its_subset_in_the_log(client, analyst, icsr_study, settings):
    """total(all) - total(country_not=GB) gives the masked British count back; the
    whole study is public, the subset that completes the pair is in the log."""
    settings.TESTIMONY_MIN_CELL = 3
    client.force_login(analyst)
    whole = client.get("/api/v1/reports/icsr-2015/").json()
    without_gb = client.get("/api/v1/reports/icsr-2015/?country_not=GB").json()

    assert whole["tables"]["by_country"]["GB"] == "<3"
    assert whole["measures"]["total_defectors"] - without_gb["measures"]["total_defectors"] == 2  # not prevented
    assert list(AccessEvent.objects.values_list("action", "query_string")) == [(Action.REPORT_SUBSET, "country_not=GB")]


def test_anonymous_subset_requests_are_logged_with_the_address(client, icsr_study):
    client.get("/api/v1/reports/icsr-2015/?sex=female", REMOTE_ADDR="203.0.113.7")

    event = AccessEvent.objects.get()
    assert (event.username, event.user, event.ip_address) == ("", None, "203.0.113.7")


def test_downloads_keep_their_own_event(client, analyst, icsr_study):
    client.force_login(analyst)
    client.get(reverse("reports:study-csv", args=["icsr-2015"]) + "?sex=female")

    assert list(AccessEvent.objects.values_list("action", "query_string")) == [(Action.REPORT_DOWNLOAD, "sex=female")]


@pytest.mark.parametrize(
    "who, url",
    [
        ("analyst", "/reports/icsr-2015/"),  # the whole study: no subset
        ("analyst", "/reports/icsr-2015/?page=2&ordering=name"),  # parameters that choose nobody
        ("analyst", "/reports/icsr-2015/?sex=bogus"),  # refused with a 400, nothing computed
        ("custodian", "/reports/icsr-2015/?country_not=GB"),  # sees every count anyway
    ],
)
def test_what_is_not_logged(client, analyst, custodian, icsr_study, who, url):
    client.force_login({"analyst": analyst, "custodian": custodian}[who])
    client.get(url)

    assert not AccessEvent.objects.exists()


def test_the_audit_admin_lists_subset_requests(client, analyst, icsr_study):
    client.force_login(analyst)
    client.get("/reports/icsr-2015/?country_not=GB&sex=male")
    client.force_login(UserFactory(username="siteadmin", is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:audit_accessevent_changelist") + "?action=report_subset")
    html = page.content.decode()

    assert page.status_code == 200
    assert "Report subset (without identity access)" in html
    assert "/reports/icsr-2015/" in html and "analyst" in html
    event = AccessEvent.objects.get()
    detail = client.get(reverse("admin:audit_accessevent_change", args=[event.pk])).content.decode()
    assert "country_not=GB&amp;sex=male" in detail
