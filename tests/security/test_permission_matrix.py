"""The permission matrix: every role x every surface, asserting that identity values and
restricted records appear exactly where allowed (docs/contract.md, "Identity protection").

Two defectors carry unique marker strings: PUBLIC is a public record, RESTRICTED a
restricted one; both have identity fields set and a tagged quote. Each surface is fetched
as each role and its whole body searched for the markers. A surface that echoes a search
term back (a search box) has that term removed before the search, so a marker counts only
when the surface really shows the record or the field.
"""

import datetime
from dataclasses import dataclass

import pytest

from narratives.models import Narrative
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

IDENTITY_MARKERS = ("LEGALMARK", "LOCATIONMARK", "CONTACTMARK")
RESTRICTED_MARKERS = ("MX-RESTRICTED", "Marker Restricted Name", "restricted quote marker")
PUBLIC_CASE = "MX-PUBLIC"

ANONYMOUS, ANALYST, RESEARCHER, CUSTODIAN = "anonymous", "analyst", "researcher", "custodian"
ROLES = {
    ANONYMOUS: None,
    ANALYST: ["Analyst"],
    RESEARCHER: ["Researcher"],
    CUSTODIAN: ["Researcher", "Identity custodian"],
}
STAFF = {RESEARCHER, CUSTODIAN}


@dataclass(frozen=True)
class Surface:
    name: str
    url: str  # {public} and {restricted} are replaced by the admin primary keys
    identity: bool = False  # shows the identity fields of the records it shows, to custodians
    restricted: bool = False  # shows the restricted record, to custodians
    public: bool = False  # shows the public record to everyone who may use the surface
    staff_only: bool = False  # the admin: researchers and custodians only
    only_custodian: bool = False  # the whole surface is about the restricted record
    echo: str = ""  # a search term the page repeats back

    def __str__(self):
        return self.name


SURFACES = [
    Surface("home", "/"),
    Surface("list", "/defectors/", restricted=True, public=True),
    Surface("list, search by name", "/defectors/?q=Marker", restricted=True, public=True),
    Surface("list, search an identity value", "/defectors/?q=LEGALMARK-P", echo="LEGALMARK-P"),
    Surface("list, search a restricted identity", "/defectors/?q=LEGALMARK-R", echo="LEGALMARK-R"),
    Surface("report drill-down", "/defectors/?study=icsr-2015&narrative=brutality", restricted=True, public=True),
    Surface("detail, public record", f"/defectors/{PUBLIC_CASE}/", identity=True, public=True),
    Surface(
        "detail, restricted record", "/defectors/MX-RESTRICTED/", identity=True, restricted=True, only_custodian=True
    ),
    Surface("export CSV", "/defectors/export.csv", restricted=True, public=True),
    Surface("export CSV, identity search", "/defectors/export.csv?q=CONTACTMARK-P", echo="CONTACTMARK-P"),
    Surface("narrative quotes", "/narratives/brutality/", restricted=True, public=True),
    Surface("codebook", "/narratives/"),
    Surface("report page", "/reports/icsr-2015/"),
    Surface("report page, subset", "/reports/icsr-2015/?narrative=brutality&sex=female"),
    Surface("report JSON", "/reports/icsr-2015/figures.json"),
    Surface("report CSV", "/reports/icsr-2015/figures.csv?country=IQ"),
    Surface("report API", "/api/v1/reports/icsr-2015/?country=IQ"),
    Surface("API defector list", "/api/v1/defectors/", identity=True, restricted=True, public=True),
    Surface("API defector search, identity value", "/api/v1/defectors/?q=LEGALMARK-P", echo="LEGALMARK-P"),
    Surface(
        "API drill-down (the list's JSON export)",
        "/api/v1/defectors/?study=icsr-2015&narrative=brutality&page_size=200",
        identity=True,
        restricted=True,
        public=True,
    ),
    Surface("API defector detail, public", f"/api/v1/defectors/{PUBLIC_CASE}/", identity=True, public=True),
    Surface(
        "API defector detail, restricted",
        "/api/v1/defectors/MX-RESTRICTED/",
        identity=True,
        restricted=True,
        only_custodian=True,
    ),
    Surface("API quotes", "/api/v1/quotes/", restricted=True, public=True),
    Surface("API quotes of a narrative", "/api/v1/quotes/?narrative=brutality", restricted=True, public=True),
    Surface("API sources", "/api/v1/sources/"),
    Surface("API narrative", "/api/v1/narratives/brutality/"),
    Surface("admin defector list", "/admin/testimony/defector/", restricted=True, public=True, staff_only=True),
    Surface(
        "admin defector search, identity value",
        "/admin/testimony/defector/?q=LEGALMARK-P",
        staff_only=True,
        echo="LEGALMARK-P",
    ),
    Surface(
        "admin defector change, public",
        "/admin/testimony/defector/{public}/change/",
        identity=True,
        public=True,
        staff_only=True,
    ),
    Surface(
        "admin defector change, restricted",
        "/admin/testimony/defector/{restricted}/change/",
        identity=True,
        restricted=True,
        staff_only=True,
        only_custodian=True,
    ),
    Surface(
        "admin defector history, restricted",
        "/admin/testimony/defector/{restricted}/history/",
        restricted=True,
        staff_only=True,
        only_custodian=True,
    ),
    Surface(
        "admin defector history version, restricted",
        "/admin/testimony/defector/{restricted}/history/{restricted_version}/",
        identity=True,
        restricted=True,
        staff_only=True,
        only_custodian=True,
    ),
    Surface(
        "admin quote history, restricted",
        "/admin/testimony/quote/{restricted_quote}/history/",
        restricted=True,
        staff_only=True,
        only_custodian=True,
    ),
    Surface(
        "admin tag history, restricted",
        "/admin/narratives/tag/{restricted_tag}/history/",
        staff_only=True,
        only_custodian=True,
    ),
    Surface(
        "admin defector history version, public",
        "/admin/testimony/defector/{public}/history/{public_version}/",
        identity=True,
        public=True,
        staff_only=True,
    ),
    Surface(
        "admin quote add, a restricted case pre-filled",
        "/admin/testimony/quote/add/?defector={restricted}",
        restricted=True,
        staff_only=True,
    ),
    Surface(
        "admin tag add, a restricted quote pre-filled",
        "/admin/narratives/tag/add/?quote={restricted_quote}",
        restricted=True,
        staff_only=True,
    ),
    Surface("admin quote list", "/admin/testimony/quote/", restricted=True, public=True, staff_only=True),
    Surface("admin tag list", "/admin/narratives/tag/", restricted=True, public=True, staff_only=True),
    Surface(
        "autocomplete, a quote's defector",
        "/admin/autocomplete/?app_label=testimony&model_name=quote&field_name=defector&term=MX",
        restricted=True,
        public=True,
        staff_only=True,
    ),
    Surface(
        "autocomplete, a defector by identity value",
        "/admin/autocomplete/?app_label=testimony&model_name=quote&field_name=defector&term=LEGALMARK",
        staff_only=True,
    ),
    Surface(
        "autocomplete, a tag's quote",
        "/admin/autocomplete/?app_label=narratives&model_name=tag&field_name=quote&term=marker",
        restricted=True,
        public=True,
        staff_only=True,
    ),
]


@pytest.fixture
def marked_defectors(db):
    """PUBLIC and RESTRICTED, in the ICSR 2015 window, each with identity fields and a tagged quote;
    returns the primary keys the admin's URLs need."""
    brutality = Narrative.objects.get(code="brutality")
    records = {}
    for key, case_id, name, visibility in [
        ("public", PUBLIC_CASE, "Marker Public Name", "public"),
        ("restricted", "MX-RESTRICTED", "Marker Restricted Name", "restricted"),
    ]:
        suffix = key[0].upper()
        defector = DefectorFactory(
            case_id=case_id,
            name=name,
            sex="female",
            country="IQ",
            reported_on=datetime.date(2015, 7, 1),
            reported_precision="month",
            provenance="reconstructed",
            visibility=visibility,
            legal_name=f"LEGALMARK-{suffix}",
            current_location=f"LOCATIONMARK-{suffix}",
            contact_notes=f"CONTACTMARK-{suffix}",
        )
        quote = QuoteFactory(defector=defector, source=SourceFactory(), text=f"A {key} quote marker, verbatim.")
        tag = TagFactory(quote=quote, narrative=brutality)
        records.update(
            {
                key: defector.pk,
                f"{key}_version": defector.history.latest().history_id,
                f"{key}_quote": quote.pk,
                f"{key}_tag": tag.pk,
            }
        )
    return records


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("surface", SURFACES, ids=str)
@pytest.mark.parametrize("role", list(ROLES))
def test_identity_and_restricted_records_appear_exactly_where_allowed(client, marked_defectors, role, surface):
    if ROLES[role] is not None:
        client.force_login(UserFactory(username=role, is_staff=role in STAFF, roles=ROLES[role]))
    url = surface.url.format(**marked_defectors)

    response = client.get(url)
    body = body_of(response).replace(surface.echo, "") if surface.echo else body_of(response)

    allowed = role in STAFF if surface.staff_only else True
    if surface.only_custodian:
        allowed = allowed and role == CUSTODIAN
    if not allowed:
        # Sent to a login page, refused or told it does not exist: nothing of the record either way.
        assert response.status_code in (302, 401, 403, 404), response.status_code
    else:
        assert response.status_code == 200, body[:500]

    shows_identity = [m for m in IDENTITY_MARKERS if m in body]
    shows_restricted = [m for m in RESTRICTED_MARKERS if m in body]
    if allowed and role == CUSTODIAN and surface.identity:
        assert shows_identity == list(IDENTITY_MARKERS)
    else:
        assert shows_identity == []
    if allowed and role == CUSTODIAN and surface.restricted:
        assert shows_restricted, "a custodian should see the restricted record here"
    else:
        assert shows_restricted == []
    assert (PUBLIC_CASE in body) == (allowed and surface.public)


@pytest.mark.parametrize("surface", [s for s in SURFACES if not s.staff_only], ids=str)
def test_with_public_read_off_visitors_see_nothing(client, marked_defectors, settings, surface):
    settings.TESTIMONY_PUBLIC_READ = False
    response = client.get(surface.url)
    body = body_of(response)

    assert response.status_code in (302, 401, 403, 200)
    if response.status_code == 200:  # only the home page, which then names no records
        assert surface.name == "home"
    assert PUBLIC_CASE not in body
    assert not [m for m in IDENTITY_MARKERS + RESTRICTED_MARKERS if m in body]
