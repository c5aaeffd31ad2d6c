"""Pages kept whole until the data changes (testimony/kept_pages.py): the same
address answers from one query until any write, each audience sees only its own
page, the header is still the visitor's own, and what every view must record is
recorded on every view.

Transactional, like test_generation.py: on PostgreSQL nothing is kept inside a
transaction that has written, which a test wrapped in one never leaves."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from lxml import html

from audit.models import AccessEvent, Action
from testimony.kept_pages import KEPT_TEMPLATE
from tests.factories import DefectorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LIST = "/defectors/"
KEPT_URLS = [
    f"{LIST}?sex=male&ordering=name",
    "/narratives/brutality/?sex=male",
    "/reports/icsr-2015/",
]


@pytest.fixture
def public_read(settings):
    settings.TESTIMONY_PUBLIC_READ = True


def templates_used(response):
    return [template.name for template in response.templates]


def case_ids(response):
    tree = html.fromstring(response.content)
    return {link.text_content().strip() for link in tree.xpath('//table[@id="defectors"]/tbody/tr/td[1]/a')}


def main(response):
    return re.search(rb"<main.*</main>", response.content, re.S).group()


@pytest.mark.parametrize("url", KEPT_URLS)
def test_the_same_address_again_is_answered_from_the_kept_page(client, public_read, django_assert_num_queries, url):
    first = client.get(url)
    assert first.status_code == 200 and KEPT_TEMPLATE not in templates_used(first)
    with django_assert_num_queries(1):  # the data generation, nothing else
        again = client.get(url)
    assert templates_used(again)[0] == KEPT_TEMPLATE
    assert main(again) == main(first)
    assert again.content.split(b"</title>")[0] == first.content.split(b"</title>")[0]


def test_a_write_by_any_path_gives_the_next_view_a_new_page(client, public_read):
    url = f"{LIST}?sex=male"
    before = case_ids(client.get(url))
    with connection.cursor() as cursor:  # behind the application's back
        cursor.execute("UPDATE testimony_defector SET sex = 'male' WHERE case_id = 'ICSR15-052'")
    DefectorFactory(case_id="KEPT-NEW", sex="male", name="Aaron Kept")
    after = client.get(f"{url}&ordering=name")
    assert "KEPT-NEW" in case_ids(after)
    assert "KEPT-NEW" not in before


@pytest.mark.parametrize("restricted_first", [True, False])
def test_each_audience_is_kept_apart(client, public_read, restricted_first):
    DefectorFactory(case_id="KEPT-HIDDEN", name="Aaa Hidden", visibility="restricted")
    DefectorFactory(case_id="KEPT-SHOWN", name="Aaa Shown")
    custodian = UserFactory(username="kept-custodian", is_staff=True, roles=["Researcher", "Identity custodian"])
    analyst = UserFactory(username="kept-analyst", roles=["Analyst"])
    url = f"{LIST}?ordering=name"

    def as_user(user):
        client.force_login(user)
        return case_ids(client.get(url))

    order = [custodian, analyst] if restricted_first else [analyst, custodian]
    seen = {user.username: as_user(user) for user in order}
    seen["again"] = as_user(order[0])  # and the first audience's kept page is still its own
    client.logout()
    seen["anonymous"] = case_ids(client.get(url))
    assert "KEPT-HIDDEN" in seen["kept-custodian"] and "KEPT-SHOWN" in seen["kept-custodian"]
    assert "KEPT-HIDDEN" not in seen["kept-analyst"] and "KEPT-SHOWN" in seen["kept-analyst"]
    assert "KEPT-HIDDEN" not in seen["anonymous"]
    assert seen["again"] == seen[order[0].username]


def test_the_header_stays_the_visitors_own(client):
    first, second = (UserFactory(username=name, roles=["Analyst"]) for name in ("kept-first", "kept-second"))
    url = f"{LIST}?sex=female"
    client.force_login(first)
    assert b"Log out kept-first" in client.get(url).content
    client.force_login(second)
    page = client.get(url)
    assert templates_used(page)[0] == KEPT_TEMPLATE  # one audience: the same kept page...
    assert b"Log out kept-second" in page.content and b"kept-first" not in page.content  # ...under its own header
    token = html.fromstring(page.content).xpath('//input[@name="csrfmiddlewaretoken"]/@value')[0]
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_subset_report_is_logged_on_every_view(client):
    analyst = UserFactory(username="kept-subset", roles=["Analyst"])
    client.force_login(analyst)
    url = "/reports/icsr-2015/?country_not=GB"
    client.get(url)
    again = client.get(url)
    assert templates_used(again)[0] == KEPT_TEMPLATE
    assert AccessEvent.objects.filter(username="kept-subset", action=Action.REPORT_SUBSET).count() == 2


def test_printed_reports_and_refused_filters_are_never_kept(client, public_read):
    for url in ("/reports/icsr-2015/print/", "/reports/icsr-2015/?reported_after=yesterday"):
        client.get(url)
        assert KEPT_TEMPLATE not in templates_used(client.get(url)), url


def test_the_api_list_is_kept_but_identity_views_are_logged_each_time(
    client, public_read, django_assert_num_queries, settings
):
    from rest_framework.test import APIClient

    api = APIClient()
    first = api.get("/api/v1/defectors/?sex=male")
    with django_assert_num_queries(1):
        again = api.get("/api/v1/defectors/?sex=male")
    assert again.json() == first.json()
    DefectorFactory(case_id="KEPT-API", sex="male")
    assert first.json()["count"] + 1 == api.get("/api/v1/defectors/?sex=male").json()["count"]

    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = False
    api.force_authenticate(UserFactory(username="kept-api-custodian", roles=["Researcher", "Identity custodian"]))
    for _ in range(2):
        api.get("/api/v1/defectors/?sex=male")
    assert AccessEvent.objects.filter(username="kept-api-custodian", action=Action.API_IDENTITY_VIEW).count() == 2


# What a kept page's templates may not read: it is shared by everyone in one audience.
PER_VISITOR = re.compile(r"\{[{%][^}]*\b(user|perms|csrf_token|messages)\b")
KEPT_TEMPLATES = ["testimony/defector_list.html", "narratives/narrative_detail.html", "reports/study_report.html"]


def included(name, seen=None):
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    source = (Path(settings.BASE_DIR) / "templates" / name).read_text()
    for child in re.findall(r"""\{%\s*include\s+["']([^"']+)["']""", source):
        included(child, seen)
    return seen


def test_kept_templates_read_nothing_of_the_visitor():
    names = set().union(*(included(name) for name in KEPT_TEMPLATES))
    assert "includes/defector_filters.html" in names  # the walk follows includes
    for name in names:
        source = (Path(settings.BASE_DIR) / "templates" / name).read_text()
        assert not PER_VISITOR.search(source), f"{name} reads the visitor; a kept page is shared by its audience"
