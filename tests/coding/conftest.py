import pytest

from narratives.models import Narrative
from tests.factories import QuoteFactory, UserFactory


@pytest.fixture
def coders(db):
    """Two researchers who code the same quotes."""
    return UserFactory(username="amina", is_staff=True, roles=["Researcher"]), UserFactory(
        username="boris", is_staff=True, roles=["Researcher"]
    )


@pytest.fixture
def reviewer(db):
    """A researcher who also holds the Reviewer role (coding.adjudicate)."""
    return UserFactory(username="rita", is_staff=True, roles=["Researcher", "Reviewer"])


@pytest.fixture
def codebook(db):
    """The ICSR codebook by code."""
    return {n.code: n for n in Narrative.objects.all()}


@pytest.fixture
def quotes(db):
    """Six quotes of six synthetic defectors."""
    return [QuoteFactory() for _ in range(6)]


@pytest.fixture
def icsr_study(db):
    """The ICSR 2015 study with its fixture loaded."""
    from django.core.management import call_command

    from reports.models import Study

    call_command("loaddata", "icsr_2015", verbosity=0)
    return Study.objects.get(code="icsr-2015")
