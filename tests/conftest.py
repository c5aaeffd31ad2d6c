import os

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from hypothesis import settings as hypothesis_settings

from reports.models import Study
from tests.factories import UserFactory

# CI must be deterministic: the property tests draw the same examples on every
# run (and on every machine) unless HYPOTHESIS_PROFILE=explore asks for new ones.
hypothesis_settings.register_profile("deterministic", max_examples=25, derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture
def researcher(db):
    """A staff user in the Researcher group, without identity permissions."""
    return UserFactory(username="researcher", is_staff=True, roles=["Researcher"])


@pytest.fixture
def custodian(db):
    """A staff researcher who is also an identity custodian."""
    return UserFactory(username="custodian", is_staff=True, roles=["Researcher", "Identity custodian"])


@pytest.fixture
def analyst(db):
    """A read-only user (not staff)."""
    return UserFactory(username="analyst", roles=["Analyst"])


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests log in many times (login throttling, TOTP); the production hasher would take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def unthrottled():
    """The API's throttles count requests in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


# Rows that many tests only read are written once, not once per test: Django's
# TestCase.setUpTestData, for pytest functions. A shared-rows fixture writes its rows
# into a transaction left open under the tests that request it; each of those tests
# runs, as usual, in a savepoint rolled back afterwards, so what a test writes
# never reaches the next one. Before the first test that does not request the
# rows the transaction is rolled back, and the database is as empty as the
# migrations left it: tests that count everything never see rows they did not ask
# for. One set of rows is open at a time; the tests requesting each set run
# together (pytest_collection_modifyitems) so that each is written about once.


class SharedRows:
    """One set of rows (written by ``build``) and, for the set now open, its transaction."""

    by_fixture = {}
    open = None

    def __init__(self, fixture_name, build):
        if fixture_name in SharedRows.by_fixture:
            raise ValueError(f"two sets of shared rows are called {fixture_name!r}: give each its own name")
        self.fixture_name = fixture_name
        self.build = build
        self.blocker = None
        SharedRows.by_fixture[fixture_name] = self

    def write(self, blocker):
        if SharedRows.open is self:
            return
        SharedRows.close()
        self.blocker = blocker
        with blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                self.build()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        self.atomic = atomic
        SharedRows.open = self

    @classmethod
    def close(cls):
        rows, cls.open = cls.open, None
        if rows is not None:
            with rows.blocker.unblock():
                transaction.set_rollback(True)
                rows.atomic.__exit__(None, None, None)

    @classmethod
    def wanted_by(cls, item):
        wanted = [cls.by_fixture[name] for name in getattr(item, "fixturenames", ()) if name in cls.by_fixture]
        if len(wanted) > 1:
            raise pytest.UsageError(f"{item.nodeid} requests two sets of shared rows; one test may read only one")
        return wanted[0] if wanted else None


def shared_rows(build, *, name):
    """A module-scoped fixture called ``name`` whose tests see the rows ``build`` writes,
    written once for all of them (see SharedRows). The tests need the database as usual
    (``pytest.mark.django_db`` or ``db``) and may not be transactional."""
    rows = SharedRows(name, build)

    @pytest.fixture(scope="module", name=name)
    def fixture(_shared_rows_session, django_db_blocker):
        rows.write(django_db_blocker)

    fixture.__doc__ = build.__doc__
    return fixture


@pytest.fixture(scope="session")
def _shared_rows_session(django_db_setup):
    """Rolls back the last open set before the test database is dropped."""
    yield
    SharedRows.close()


def _transactional(item):
    marker = item.get_closest_marker("django_db")
    flags = marker.kwargs if marker else {}
    return (
        flags.get("transaction")
        or flags.get("reset_sequences")
        or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # After pytest-django's ordering (database tests, then transactional ones, then the
    # rest): the tests of each set of shared rows move to the front, in their order.
    sets = []
    for item in items:
        rows = SharedRows.wanted_by(item)
        if rows is not None and _transactional(item):
            raise pytest.UsageError(
                f"{item.nodeid} is transactional and cannot read shared rows "
                f"({rows.fixture_name}): its rows would be flushed; write them in the test"
            )
        if rows is not None and rows not in sets:
            sets.append(rows)
    items.sort(key=lambda item: sets.index(rows) if (rows := SharedRows.wanted_by(item)) else len(sets))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before the test's fixtures: close rows it does not read; reopen rows it reads
    # that an earlier test closed (when tests were run out of the usual order).
    rows = SharedRows.wanted_by(item)
    if SharedRows.open is not rows:
        SharedRows.close()
        if rows is not None and rows.blocker is not None:
            rows.write(rows.blocker)


def load_icsr_2015():
    """The ICSR 2015 study's records (fixtures/icsr_2015.json), loaded once for the tests that read them."""
    call_command("loaddata", "icsr_2015", verbosity=0)


icsr_2015_rows = shared_rows(load_icsr_2015, name="icsr_2015_rows")


@pytest.fixture
def icsr_study(icsr_2015_rows, db):
    """The ICSR 2015 study as migrations create it, with its fixture's records."""
    return Study.objects.get(code="icsr-2015")
