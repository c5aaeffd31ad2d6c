import os

import pytest
from django.core.cache import cache
from django.core.management import call_command
from hypothesis import settings as hypothesis_settings

from reports.models import Study
from tests.factories import UserFactory
from tests.shared_rows import SharedRows, shared_rows
from tests.shared_rows import before_test as before_shared_rows_test
from tests.shared_rows import order as shared_rows_order

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
def job_files(settings, tmp_path):
    """Background jobs write their files into a folder of the test's own."""
    settings.TESTIMONY_JOB_FILES = tmp_path / "job_files"
    return settings.TESTIMONY_JOB_FILES


@pytest.fixture(autouse=True)
def unthrottled():
    """The API's throttles count requests in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def _shared_rows_session(django_db_setup):
    """For tests/shared_rows.py: rolls back the last open set before the test database is dropped."""
    yield
    SharedRows.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    shared_rows_order(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    before_shared_rows_test(item)


def load_icsr_2015():
    """The ICSR 2015 study's records (fixtures/icsr_2015.json), loaded once for the tests that read them."""
    call_command("loaddata", "icsr_2015", verbosity=0)


icsr_2015_rows = shared_rows(load_icsr_2015, name="icsr_2015_rows")


@pytest.fixture
def icsr_study(icsr_2015_rows, db):
    """The ICSR 2015 study as migrations create it, with its fixture's records."""
    return Study.objects.get(code="icsr-2015")
