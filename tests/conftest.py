import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

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
