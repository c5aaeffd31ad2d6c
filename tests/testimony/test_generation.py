"""The counts kept under the data generation (testimony/generation.py): a write by
any path, committed, shows in the next view's counts; an unchanged database is
counted once; a running import does not make other writers wait.

Transactional tests: on PostgreSQL the generation moves at commit, which a
test wrapped in a transaction never reaches."""

import threading

import pytest
from django.db import connection, connections, transaction
from lxml import html

from coding.services import coding_decide
from narratives.models import Narrative, Tag
from reports.models import Study, StudyMembership
from testimony.generation import data_generation
from testimony.models import Defector, Quote
from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LIST = "/defectors/"


def facet_count(response, facet, value):
    return next(v.count for v in response.context["facets"][facet].values if v.value == value)


def write_paths():
    """(label, write) for each way a row reaches the tables the counts read."""
    defector = DefectorFactory(case_id="GEN-1", sex="male")
    source = SourceFactory(outlet=OutletFactory(name="Generation Outlet"))
    study = Study.objects.get(code="icsr-2015")
    coder = UserFactory(username="generation-coder", is_staff=True, roles=["Researcher"])
    return [
        ("model save", lambda: DefectorFactory(case_id="GEN-2")),
        ("queryset update", lambda: Defector.objects.filter(pk=defector.pk).update(sex="female")),
        ("bulk_create", lambda: Quote.objects.bulk_create([Quote(defector=defector, source=source, text="bulk")])),
        ("many-to-many add", lambda: defector.sources.add(source)),
        ("tag", lambda: Tag.objects.create(quote=QuoteFactory(defector=defector), narrative=Narrative.objects.first())),
        ("raw SQL", lambda: _raw(f"UPDATE testimony_defector SET country = 'IQ' WHERE id = {defector.pk}")),
        ("case list", lambda: StudyMembership.objects.create(study=study, defector=defector)),
        ("study criteria", lambda: Study.objects.filter(pk=study.pk).update(criteria="sex=female")),
        ("outlet rename", lambda: type(source.outlet).objects.filter(pk=source.outlet_id).update(name="Renamed")),
        ("coding decision", lambda: coding_decide(quote=QuoteFactory(defector=defector), coder=coder, narratives=[])),
        ("published figure", lambda: study.figures.filter(pk=study.figures.first().pk).update(wording="changed")),
        ("delete", lambda: Defector.objects.filter(pk=defector.pk).delete()),
    ]


def _raw(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_every_write_path_moves_the_generation_to_a_value_never_seen_before():
    seen = [data_generation()]
    for label, write in write_paths():
        write()
        now = data_generation()
        assert now is not None and now not in seen, label
        seen.append(now)


def test_a_rolled_back_write_leaves_the_generation_as_it_was():
    before = data_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        DefectorFactory(case_id="GEN-ROLLED-BACK")
        raise RuntimeError
    assert data_generation() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite moves it in the writing statement")
def test_a_transaction_that_has_written_keeps_no_counts():
    with transaction.atomic():
        assert data_generation() is not None
        DefectorFactory(case_id="GEN-PENDING")
        assert data_generation() is None  # its own writes are not under the committed generation


def test_the_list_counts_a_write_made_behind_the_orm_s_back(client):
    DefectorFactory(case_id="GEN-A", sex="male")
    DefectorFactory(case_id="GEN-GONE")
    first = client.get(LIST)
    females, total = facet_count(first, "sex", "female"), first.context["paginator"].count
    # SQL the application never sees: no signal, no service. The database moves the generation.
    _raw("UPDATE testimony_defector SET sex = 'female' WHERE case_id = 'GEN-A'")
    _raw("DELETE FROM testimony_defector WHERE case_id = 'GEN-GONE'")
    after = client.get(LIST)
    assert facet_count(after, "sex", "female") == females + 1
    assert after.context["paginator"].count == total - 1


def test_an_unchanged_database_is_counted_once(client, django_assert_num_queries):
    DefectorFactory(case_id="GEN-B")
    client.get(f"{LIST}?sex=male")
    # Again: the generation, the page's ids and rows and their badges and outlets, and the codebook
    # the narrative facet lists. No count, no facet, no total, no restricted count.
    with django_assert_num_queries(6):
        response = client.get(f"{LIST}?sex=male&page_size=25&ordering=name")
    assert response.context["paginator"].count == Defector.objects.filter(visibility="public", sex="male").count()


def test_users_who_see_restricted_records_are_counted_apart(client, admin_user):
    DefectorFactory(case_id="GEN-PUBLIC")
    DefectorFactory(case_id="GEN-RESTRICTED", visibility="restricted")
    anonymous = client.get(LIST).context["paginator"].count
    client.force_login(admin_user)
    assert client.get(LIST).context["paginator"].count == anonymous + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
def test_a_running_import_does_not_make_other_writers_wait():
    holding, release, failure = threading.Event(), threading.Event(), []

    def long_import():
        try:
            with transaction.atomic():
                DefectorFactory(case_id="GEN-LONG-IMPORT")
                holding.set()
                release.wait(10)
        except Exception as error:  # pragma: no cover - reported below
            failure.append(error)
        finally:
            holding.set()
            connections.close_all()

    worker = threading.Thread(target=long_import)
    worker.start()
    try:
        assert holding.wait(10)
        before = data_generation()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            DefectorFactory(case_id="GEN-SAVED-MEANWHILE")  # commits at once, or fails on the lock
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        meanwhile = data_generation()
        assert meanwhile != before
    finally:
        release.set()
        worker.join(15)
    assert not failure
    assert data_generation() not in (before, meanwhile)


def headline_total(response):
    tree = html.fromstring(response.content)
    return int(tree.xpath('//ul[@class="headline"]/li[1]/strong')[0].text_content().replace(",", ""))


def test_a_kept_report_counts_a_case_added_after_it(client):
    url = "/reports/icsr-2015/?scope=today"
    before = headline_total(client.get(url))
    assert headline_total(client.get(url)) == before  # kept: the same
    DefectorFactory(case_id="GEN-REPORTED", reported_on="2015-07-01", provenance="published")
    assert headline_total(client.get(url)) == before + 1
