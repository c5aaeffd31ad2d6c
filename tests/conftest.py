import pytest

from tests.factories import UserFactory


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
