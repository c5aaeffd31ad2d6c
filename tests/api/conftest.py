import pytest
from rest_framework.test import APIClient

from testimony.models import Defector, Quote, Source
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory, UserFactory
from tests.shared_rows import shared_rows

# Seeded into every identity field: no body seen by someone without view_identity may contain them.
MARKERS = {
    "legal_name": "MARKER-LEGAL-NAME-7f3a",
    "current_location": "MARKER-LOCATION-91bc",
    "contact_notes": "MARKER-CONTACT-44de",
}


@pytest.fixture
def api():
    """A DRF test client; ``api.force_authenticate(user)`` signs in without a session."""
    return APIClient()


@pytest.fixture
def public_read(settings):
    settings.TESTIMONY_PUBLIC_READ = True


@pytest.fixture
def no_public_read(settings):
    settings.TESTIMONY_PUBLIC_READ = False


RECORD_CASE_IDS = {"woman": "API-001", "man": "API-002", "restricted": "API-003"}


def write_records():
    """Two public defectors (one a woman from GB, with identity fields filled with markers)
    and one restricted defector, each with a tagged quote."""
    public_woman = DefectorFactory(case_id="API-001", name="Umm Test", sex="female", country="GB", **MARKERS)
    public_man = DefectorFactory(case_id="API-002", name="Abu Test", sex="male", country="SY", **MARKERS)
    restricted = DefectorFactory(case_id="API-003", name="Hidden Person", visibility="restricted", **MARKERS)
    source = SourceFactory(title="A report", language="en")
    for defector, code in [(public_woman, "brutality"), (public_man, "infighting"), (restricted, "corruption")]:
        quote = QuoteFactory(defector=defector, source=source, text=f"Testimony of {defector.case_id}.")
        defector.sources.add(source)
        _tag(quote, code)


api_records_rows = shared_rows(write_records, name="api_records_rows")


@pytest.fixture
def records(api_records_rows, db):
    """The records of write_records, written once for the tests that read them; fetched
    afresh for each test, so that a test changing one in memory changes it for itself."""
    defectors = {key: Defector.objects.get(case_id=case_id) for key, case_id in RECORD_CASE_IDS.items()}
    return {
        **defectors,
        "source": Source.objects.get(title="A report"),
        "quotes": {quote.defector.case_id: quote for quote in Quote.objects.select_related("defector")},
    }


def _tag(quote, code):
    from narratives.models import Narrative

    return TagFactory(quote=quote, narrative=Narrative.objects.get(code=code))


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def identity_without_otp(settings):
    """Custodians see identity fields without the TOTP step (tested on its own in test_identity)."""
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = False
