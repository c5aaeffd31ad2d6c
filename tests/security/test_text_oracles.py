"""Text filters are no oracle for restricted records (issue 12, finding 2).

A user without ``testimony.view_restricted`` must not learn a restricted
record's name or quote text by typing guesses: whatever they put in ``q``,
every surface answers exactly as it answers a string that matches nothing.
The attack this stops grew a restricted name one letter at a time through
the list's "N restricted records hidden" notice and read a restricted
record's sex, country and month from ``/api/v1/reports/icsr-2015/?q=<name>``.
"""

import datetime
import json
import re

import pytest

from narratives.models import Narrative
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

RESTRICTED_NAME = "Qorvathine Zaynab"
RESTRICTED_WORD = "nightjarquill"  # a word only the restricted record's quote holds
# The name as an attacker grows it, and strings of the same lengths that match nothing.
GUESSES = ["Qo", "Qorv", "Qorvathi", "Qorvathine", RESTRICTED_WORD]
NONSENSE = ["Xw", "Xwpf", "Xwpfkjhd", "Xwpfkjhdmm", "xwpfkjhdmmtvq"]

# Every surface that takes q (or passes it on to DefectorFilterSet).
SURFACES = {
    "list": "/defectors/?q={q}",
    "list, production mode": "/defectors/?q={q}&sex=female",
    "export CSV": "/defectors/export.csv?q={q}",
    "API defectors": "/api/v1/defectors/?q={q}",
    "API quotes": "/api/v1/quotes/?q={q}",
    "API sources": "/api/v1/sources/?q={q}",
    "narrative page": "/narratives/brutality/?q={q}",
    "report page": "/reports/icsr-2015/?q={q}",
    "report print": "/reports/icsr-2015/print/?q={q}",
    "figures.json": "/reports/icsr-2015/figures.json?q={q}",
    "figures.csv": "/reports/icsr-2015/figures.csv?q={q}",
    "report API": "/api/v1/reports/icsr-2015/?q={q}",
}


@pytest.fixture
def restricted_record(db):
    """A restricted woman from Iraq reported in July 2015 (inside the ICSR window), with a
    tagged quote, beside a public record that matches none of the guesses."""
    brutality = Narrative.objects.get(code="brutality")
    public = DefectorFactory(
        case_id="TX-PUBLIC", name="Public Person", sex="male", country="SY", provenance="published"
    )
    TagFactory(quote=QuoteFactory(defector=public, source=SourceFactory(), text="A public quote."), narrative=brutality)
    restricted = DefectorFactory(
        case_id="TX-RESTRICTED",
        name=RESTRICTED_NAME,
        sex="female",
        country="IQ",
        reported_on=datetime.date(2015, 7, 1),
        reported_precision="month",
        provenance="published",  # the factory's synthetic records are left out of studies
        visibility="restricted",
    )
    quote = QuoteFactory(defector=restricted, source=SourceFactory(), text=f"The {RESTRICTED_WORD} spoke at night.")
    TagFactory(quote=quote, narrative=brutality)
    return restricted


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
# The report's "Generated <time>…</time>": the clock, not the data, so no answer.
GENERATED_AT = re.compile(r'<time datetime="[^"]*">[^<]*</time>')


def answer(client, url, term):
    """The status and body of a surface for ``term``, with the term itself (echoed in
    search boxes, links and the report's subset line) taken out."""
    response = client.get(url.format(q=term))
    body = CSRF_TOKEN.sub("", body_of(response))  # a fresh token on every page with the logout form
    body = GENERATED_AT.sub("", body)
    return response.status_code, body.replace(term, "TERM")


def login(client, roles):
    if roles is not None:
        client.force_login(UserFactory(username="-".join(roles) or "user", roles=roles))


@pytest.mark.parametrize("min_cell", [0, 3], ids=["development", "production min cell 3"])
@pytest.mark.parametrize("roles", [None, ["Analyst"], ["Researcher"]], ids=["anonymous", "analyst", "researcher"])
@pytest.mark.parametrize("surface", SURFACES, ids=str)
def test_a_guess_at_restricted_text_gets_the_answer_of_nonsense(
    client, restricted_record, settings, surface, roles, min_cell
):
    settings.TESTIMONY_MIN_CELL = min_cell
    login(client, roles)
    url = SURFACES[surface]
    for guess, nonsense in zip(GUESSES, NONSENSE, strict=True):
        assert answer(client, url, guess) == answer(client, url, nonsense), f"{surface} answers {guess!r} differently"


def test_the_guesses_do_match_the_restricted_record(client, restricted_record):
    """Without this, the test above could pass because the guesses matched nothing at all."""
    client.force_login(UserFactory(username="custodian", roles=["Identity custodian"]))
    for guess in GUESSES:
        assert "TX-RESTRICTED" in client.get(f"/defectors/?q={guess}").content.decode()
        report = client.get(f"/api/v1/reports/icsr-2015/?q={guess}").json()
        assert report["measures"]["total_defectors"] == 1
        assert "restricted_left_out" not in report["scope"]


def test_the_list_has_no_hidden_count_when_searching(client, restricted_record, analyst, settings):
    settings.TESTIMONY_MIN_CELL = 3
    client.force_login(analyst)

    searched = client.get("/defectors/?q=Qorv").content.decode()
    by_category = client.get("/defectors/?country=IQ").content.decode()

    assert 'id="restricted-hidden"' not in searched
    assert "restricted records are not searched" in searched
    # Chosen by categories, the restricted record is counted as in the report's figures.
    assert "&lt;3 restricted records hidden" in by_category


def test_the_report_api_gives_no_restricted_records_sex_country_or_month(client, restricted_record, analyst):
    client.force_login(analyst)
    report = client.get(f"/api/v1/reports/icsr-2015/?q={RESTRICTED_NAME}").json()

    assert report["measures"]["total_defectors"] == 0
    assert report["tables"]["by_sex"]["female"] == 0
    assert "IQ" not in report["tables"]["by_country"]
    assert report["tables"]["by_month"]["2015-07"] == 0
    assert report["restricted_defectors"] == 0
    assert "left out of this subset because it is chosen by text" in report["scope"]["restricted_left_out"]


def test_the_report_page_says_restricted_records_are_left_out(client, restricted_record, analyst):
    client.force_login(analyst)
    page = client.get("/reports/icsr-2015/?q=anything").content.decode()

    assert 'id="restricted-left-out"' in page
    assert "restricted defectors are counted" not in page


def test_a_report_chosen_by_categories_still_counts_restricted_records(client, restricted_record, analyst):
    client.force_login(analyst)
    report = json.loads(client.get("/reports/icsr-2015/figures.json?country=IQ").content)

    assert report["measures"]["total_defectors"] == 1
    assert report["restricted_defectors"] == 1
    assert "restricted_left_out" not in report["scope"]
