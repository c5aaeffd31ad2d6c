import csv
import datetime
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from lxml import html

from narratives.models import Narrative
from testimony.models import Defector
from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, TagFactory
from tests.shared_rows import shared_rows

pytestmark = pytest.mark.django_db

LIST = "/defectors/"
EXPORT = "/defectors/export.csv"
# Strings stored only in identity fields: no page or export may show them to non-holders.
IDENTITY_MARKERS = ("Zubair Hiddenname", "Safehouse Street 9", "call via cousin Q")

# case_id, name, sex, country, reported_on, precision, provenance, outlet, narratives, quote
DATASET = [
    (
        "A-01",
        "Umm Layla",
        "female",
        "GB",
        "2015-08-01",
        "month",
        "published",
        "BBC News",
        ["infighting"],
        "They killed Muslims who refused.",
    ),
    (
        "A-02",
        "anonymous defector",
        "female",
        "SY",
        "2014-05-12",
        "day",
        "published",
        "Al Jazeera",
        ["brutality"],
        "The executions made me leave.",
    ),
    ("A-03", "anonymous defector", "male", "SY", "2015-02-01", "month", "reconstructed", None, [], None),
    (
        "A-04",
        "Abu Walid",
        "male",
        "FR",
        "2014-01-01",
        "year",
        "published",
        "The Guardian",
        ["corruption", "brutality"],
        "The emirs took everything.",
    ),
    (
        "A-05",
        "Abu Test",
        "male",
        "GB",
        "2015-06-20",
        "day",
        "synthetic",
        "BBC News",
        ["quality-of-life"],
        "There was no electricity.",
    ),
    (
        "A-06",
        "Salim",
        "unknown",
        "TR",
        "2015-01-10",
        "day",
        "published",
        "Al Jazeera",
        [],
        "\u0642\u062a\u0644\u0648\u0627 \u0627\u0644\u0645\u0633\u0644\u0645\u064a\u0646",
    ),
    # restricted: only holders of testimony.view_restricted see it
    (
        "R-01",
        "Hidden Sister",
        "female",
        "GB",
        "2015-07-01",
        "month",
        "published",
        "BBC News",
        ["brutality"],
        "I saw the punishments.",
    ),
]
PUBLIC = ["A-01", "A-02", "A-03", "A-04", "A-05", "A-06"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The role fixtures hash a password each; the default hasher is slow by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_dataset():
    for case_id, name, sex, country, reported_on, precision, provenance, outlet, codes, text in DATASET:
        defector = DefectorFactory(
            case_id=case_id,
            name=name,
            sex=sex,
            country=country,
            reported_on=datetime.date.fromisoformat(reported_on),
            reported_precision=precision,
            provenance=provenance,
            visibility="restricted" if case_id.startswith("R-") else "public",
        )
        if outlet:
            source = SourceFactory(outlet=OutletFactory(name=outlet))
            defector.sources.add(source)
            quote = QuoteFactory(
                defector=defector, source=source, text=text, language="ar" if case_id == "A-06" else "en"
            )
            for code in codes:
                TagFactory(quote=quote, narrative=Narrative.objects.get(code=code))
    a01 = Defector.objects.get(case_id="A-01")
    a01.legal_name, a01.current_location, a01.contact_notes = IDENTITY_MARKERS
    a01.save()


listing_rows = shared_rows(build_dataset, name="listing_rows")


@pytest.fixture
def dataset(listing_rows):
    """Six public defectors (two women) and one restricted woman, with outlets, quotes and narratives,
    written once for the tests that read them."""


def listed(response):
    """The case IDs in the table, as the reader sees them (a kept page has no context to read)."""
    tree = html.fromstring(response.content)
    return [link.text_content().strip() for link in tree.xpath('//table[@id="defectors"]/tbody/tr/td[1]/a')]


FILTER_CASES = [
    ("", PUBLIC),
    ("sex=female", ["A-01", "A-02"]),
    ("sex=male", ["A-03", "A-04", "A-05"]),
    ("sex=unknown", ["A-06"]),
    ("country=GB", ["A-01", "A-05"]),
    ("country=GB&country=FR", ["A-01", "A-04", "A-05"]),
    ("narrative=brutality", ["A-02", "A-04"]),
    ("narrative=brutality&narrative=infighting", ["A-01", "A-02", "A-04"]),
    ("outlet=BBC+News", ["A-01", "A-05"]),
    ("reported_after=2015-01-01", ["A-01", "A-03", "A-05", "A-06"]),
    ("reported_before=2014-12-31", ["A-02", "A-04"]),
    ("reported_after=2015-01-01&reported_before=2015-06-30", ["A-03", "A-05", "A-06"]),
    ("reported_after=2015-08-01&reported_before=2015-08-01", ["A-01"]),  # month precision counts as the 1st
    ("provenance=reconstructed", ["A-03"]),
    ("provenance=synthetic", ["A-05"]),
    ("study=icsr-2015", ["A-01", "A-02", "A-03", "A-04", "A-06"]),  # its window 2014-01-01..2015-08-31, not synthetic
    ("q=killed", ["A-01"]),
    ("q=Walid", ["A-04"]),
    ("q=electricity", ["A-05"]),
    ("q=Hiddenname", []),  # identity fields are never searched
    ("q=Safehouse", []),
    ("q=Al-Nowhere", []),  # a compound word that matches nothing (PostgreSQL ranks such rows 1e-20, not 0)
    ("q=Hidden-name", []),
    ("sex=female&country=GB", ["A-01"]),
    ("sex=male&narrative=brutality&reported_before=2014-12-31", ["A-04"]),
    ("country=GB&outlet=BBC+News&provenance=published", ["A-01"]),
    ("sex=female&q=executions", ["A-02"]),
    ("country=SY&narrative=infighting", []),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_each_filter_and_combination_lists_and_exports_exactly_its_defectors(client, dataset, query, expected):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert sorted(listed(response)) == expected
    assert response.context["paginator"].count == len(expected)
    assert f'<span id="match-count">{len(expected)}</span> of 6 defectors' in response.content.decode()
    rows, _ = read_csv(client.get(f"{EXPORT}?{query}"))
    assert sorted({row["case_id"] for row in rows}) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("sex=female", ["A-01", "A-02", "R-01"]), ("country=GB&narrative=brutality", ["R-01"])],
)
def test_custodian_lists_restricted_defectors(client, custodian, dataset, query, expected):
    client.force_login(custodian)
    response = client.get(f"{LIST}?{query}")
    assert sorted(listed(response)) == expected
    assert "restricted record" not in response.content.decode().replace("Restricted record", "")


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("case_id", PUBLIC),
        ("-case_id", PUBLIC[::-1]),
        ("reported_on", ["A-04", "A-02", "A-06", "A-03", "A-05", "A-01"]),
        ("-reported_on", ["A-01", "A-05", "A-03", "A-06", "A-02", "A-04"]),
        ("reported_on&sex=male", ["A-04", "A-03", "A-05"]),
        ("name&sex=male", ["A-05", "A-04", "A-03"]),
        ("-name&sex=male", ["A-03", "A-04", "A-05"]),
        ("quote_count&sex=male", ["A-03", "A-04", "A-05"]),  # ties broken by case ID
    ],
)
def test_ordering_by_column(client, dataset, ordering, expected):
    response = client.get(f"{LIST}?ordering={ordering}")
    assert listed(response) == expected


def test_column_headers_link_to_their_ordering_and_flip_direction(client, dataset):
    response = client.get(f"{LIST}?sex=male&ordering=reported_on&page=1")
    headers = {c["label"]: c for c in response.context["columns"]}
    assert headers["Reported"]["sort"] == "ascending"
    assert headers["Reported"]["url"] == "?sex=male&ordering=-reported_on"
    assert headers["Case"]["url"] == "?sex=male&ordering=case_id"
    assert headers["Outlets"]["url"] is None
    assert 'aria-sort="ascending"' in response.content.decode()


def test_rows_show_dates_at_precision_outlets_badges_and_provenance(client, dataset):
    body = client.get(f"{LIST}?ordering=case_id").content.decode()
    assert "Aug 2015" in body and "1 Aug 2015" not in body  # A-01, month precision
    assert "12 May 2014" in body  # A-02, day precision
    assert ">2014</td>" in body  # A-04, year precision
    assert "United Kingdom" in body and "Syria" in body
    assert "badge narrative-brutality" in body  # coloured by narratives/colours.css
    assert "provenance-reconstructed" in body and ">reconstructed</span>" in body
    assert ">synthetic</span>" in body


def facet_counts(response, name):
    return {v.value: v.count for v in response.context["facets"][name].values}


def test_facet_counts_over_the_filtered_set(client, dataset):
    response = client.get(f"{LIST}?country=GB")
    # Each facet counts the set the *other* filters select.
    assert facet_counts(response, "sex") == {"male": 1, "female": 1, "unknown": 0}
    assert facet_counts(response, "country") == {"GB": 2, "SY": 2, "FR": 1, "TR": 1}
    assert facet_counts(response, "narrative") == {
        "infighting": 1,
        "brutality": 0,
        "corruption": 0,
        "quality-of-life": 1,
    }
    assert facet_counts(response, "outlet") == {"BBC News": 2}
    assert facet_counts(response, "provenance") == {"published": 1, "reconstructed": 0, "synthetic": 1}
    body = response.content.decode()
    assert 'Female <span class="count">(1)</span>' in body


@pytest.mark.parametrize(
    "query", ["", "country=GB", "q=electricity", "sex=male&country=GB&provenance=synthetic&narrative=quality-of-life"]
)
def test_the_page_count_is_the_number_of_rows_listed(client, dataset, query):
    """The count is one grouping of the facets' scan (selectors._facet_counts), or on SQLite their
    groups added up, or a count when every own column is narrowed: it must match the rows."""
    response = client.get(f"{LIST}?{query}&page_size=100")
    assert response.context["paginator"].count == len(listed(response)) > 0


def test_list_rows_escape_what_the_press_printed(client, db):
    """The rows are written by a template tag (testimony_tags.defector_rows), not the template
    engine: a name, outlet or narrative is escaped there as a template would."""
    defector = DefectorFactory(case_id="X-1", name='Abu <script>alert("x")</script> & Co', provenance="synthetic")
    quote = QuoteFactory(defector=defector, source=SourceFactory(outlet=OutletFactory(name="<b>Outlet</b>")))
    defector.sources.add(quote.source)
    TagFactory(quote=quote)
    body = client.get(LIST).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in body
    assert "<b>Outlet</b>" not in body and "&lt;b&gt;Outlet&lt;/b&gt;" in body
    row = html.fromstring(body).xpath('//table[@id="defectors"]/tbody/tr')[0]
    cells = [cell.text_content().strip() for cell in row.xpath("td")]
    assert cells[0].startswith("X-1") and "synthetic" in cells[0]
    assert cells[1] == 'Abu <script>alert("x")</script> & Co' and cells[5] == "<b>Outlet</b>"
    assert row.xpath('td[7]/a[contains(@class, "narrative-infighting")]') and cells[7] == "1"


def test_facets_never_count_hidden_restricted_records(client, analyst, custodian, dataset):
    client.force_login(analyst)
    assert facet_counts(client.get(f"{LIST}?sex=female"), "sex")["female"] == 2
    client.force_login(custodian)
    assert facet_counts(client.get(f"{LIST}?sex=female"), "sex")["female"] == 3


def test_restricted_records_hidden_are_counted_but_not_shown(client, analyst, dataset):
    client.force_login(analyst)
    body = client.get(f"{LIST}?sex=female").content.decode()
    assert "1 restricted record hidden" in body
    assert "R-01" not in body and "Hidden Sister" not in body
    assert "restricted record" not in client.get(f"{LIST}?sex=male").content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=ZZ", "Select a valid choice"),
        ("reported_after=2015-13-40", "Enter a valid date"),
        ("reported_before=yesterday", "Enter a valid date"),
        ("ordering=legal_name", "Select a valid choice"),
        ("sex=other", "Select a valid choice"),
        ("narrative=no-such-code", "Select a valid choice"),
        ("outlet=Nowhere+Times", "Select a valid choice"),
        ("study=icsr-1999", "Select a valid choice"),  # the study model is reports' (settings.TESTIMONY_STUDY_MODEL)
    ],
)
def test_bad_filters_show_the_error_and_no_rows(client, dataset, query, message):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "Some filters in the address are invalid" in body
    assert listed(response) == []  # never a list that silently ignored the bad filter


def test_bad_filter_keeps_the_panel_usable(client, dataset):
    response = client.get(f"{LIST}?country=ZZ&sex=female")
    # The valid filters still drive the counts, and the bad value can be unticked.
    assert facet_counts(response, "country") == {"GB": 1, "SY": 1, "ZZ": 0}
    assert 'id="country-ZZ" checked' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "notice", "page", "per_page"),
    [
        ("page=9999&page_size=25", "Page 9999 is out of range; showing the last page (2 of 2)", 2, 25),
        ("page=abc&page_size=25", "Page \u201cabc\u201d is not a page number; showing page 1", 1, 25),
        ("page_size=abc", "Page size \u201cabc\u201d is not one of 25, 50, 100, 200; showing 50 per page", 1, 50),
        ("page_size=100000", "is not one of 25, 50, 100, 200", 1, 50),
        ("page_size=100", None, 1, 100),
    ],
)
def test_bad_pages_and_page_sizes_give_a_notice(client, db, query, notice, page, per_page):
    DefectorFactory.create_batch(30)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert response.context["page_obj"].number == page
    assert response.context["paginator"].per_page == per_page
    if notice:
        assert notice in response.content.decode()
    else:
        assert response.context["notices"] == []


def test_pagination_keeps_the_filters(client, db):
    DefectorFactory.create_batch(30, sex="female")
    DefectorFactory.create_batch(3, sex="male")
    response = client.get(f"{LIST}?sex=female&page_size=25")
    assert len(listed(response)) == 25
    assert 'href="?sex=female&amp;page_size=25&amp;page=2"' in response.content.decode()
    assert len(listed(client.get(f"{LIST}?sex=female&page_size=25&page=2"))) == 5


def test_list_page_query_count_does_not_grow_with_rows(client, db, django_assert_num_queries):
    def make(n):
        for _ in range(n):
            quote = QuoteFactory()
            quote.defector.sources.add(quote.source)
            TagFactory(quote=quote)

    # The data generation (testimony/generation.py), the page's ids before its rows, and on
    # PostgreSQL the page's count and every facet in one scan of the set (GROUPING SETS over the
    # narratives and outlets kept on the row, testimony/summary_columns.py); on SQLite the count is
    # the sum of the own columns' groups and the narratives and outlets a query each.
    queries = 9 if connection.vendor == "postgresql" else 11
    make(5)
    with django_assert_num_queries(queries):
        assert len(listed(client.get(f"{LIST}?ordering=-quote_count"))) == 5
    make(45)
    cache.clear()  # a first view after the write on either database
    with django_assert_num_queries(queries):
        assert len(listed(client.get(f"{LIST}?ordering=-quote_count"))) == 50


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body))), body


@pytest.mark.parametrize("ordering", ["", "-name", "quote_count", "-reported_on"])
def test_pages_read_in_turn_give_every_defector_once_in_the_chosen_order(client, db, ordering):
    """A page's rows are found by id first (CountedPaginator.page): in the sort order, none twice."""
    for n in range(60):
        defector = DefectorFactory(case_id=f"P-{n:02d}", name=f"Name {n % 7}", reported_on=f"2015-0{1 + n % 9}-01")
        for _ in range(n % 4):
            QuoteFactory(defector=defector)
    whole = listed(client.get(f"{LIST}?page_size=200&ordering={ordering}"))
    pages = [listed(client.get(f"{LIST}?page_size=25&ordering={ordering}&page={n}")) for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [25, 25, 10]
    assert pages[0] + pages[1] + pages[2] == whole
    assert len(set(whole)) == Defector.objects.count() == 60


def test_export_covers_every_page_not_just_the_one_shown(client, db):
    DefectorFactory.create_batch(30, sex="female")
    DefectorFactory(sex="male")
    rows, _ = read_csv(client.get(f"{EXPORT}?sex=female&page_size=25&page=2"))
    assert len({row["case_id"] for row in rows}) == 30


def test_export_rows_are_long_form_with_narratives(client, dataset):
    rows, _ = read_csv(client.get(f"{EXPORT}?case=ignored&q=emirs"))
    assert rows == [
        {
            **rows[0],
            "case_id": "A-04",
            "sex": "male",
            "country": "FR",
            "reported_on": "2014",
            "outlet": "The Guardian",
            "quote": "The emirs took everything.",
            "narratives": "brutality;corruption",
        }
    ]


def test_export_hides_restricted_records_and_identity_fields(client, analyst, custodian, dataset):
    client.force_login(analyst)
    rows, body = read_csv(client.get(EXPORT))
    assert "R-01" not in {row["case_id"] for row in rows}
    assert not any(marker in body for marker in IDENTITY_MARKERS)
    client.force_login(custodian)
    rows, body = read_csv(client.get(EXPORT))
    assert "R-01" in {row["case_id"] for row in rows}
    assert not any(marker in body for marker in IDENTITY_MARKERS)  # the CSV has no identity column at all


@pytest.mark.parametrize(
    ("query", "field"),
    [("country=ZZ", "country"), ("reported_after=2015-13-40", "reported_after"), ("study=icsr-1999", "study")],
)
def test_export_with_bad_filters_is_a_400_naming_the_field(client, dataset, query, field):
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 400
    assert f"{field}:" in response.content.decode()


def test_export_and_json_links_carry_the_filters(client, dataset):
    body = client.get(f"{LIST}?sex=female&country=GB&page=1&page_size=25").content.decode()
    assert 'href="/defectors/export.csv?sex=female&amp;country=GB"' in body
    assert 'href="/api/v1/defectors/?sex=female&amp;country=GB"' in body


def test_export_url_is_not_taken_for_a_case_id():
    assert reverse("testimony:defector-export") == EXPORT


# --- detail page ---


def test_detail_shows_record_sources_quotes_and_tags(client, dataset):
    a02 = Defector.objects.get(case_id="A-02")
    source = a02.sources.get()
    source.archived_url = "https://archive.example.org/a02"
    source.save()
    body = client.get("/defectors/A-02/").content.decode()
    assert "12 May 2014" in body
    assert "Al Jazeera" in body and source.url in body and "https://archive.example.org/a02" in body
    assert "The executions made me leave." in body
    assert "Brutality against (Sunni) Muslims" in body and "badge narrative-brutality" in body


def test_detail_marks_arabic_quotes_right_to_left(client, dataset):
    body = client.get("/defectors/A-06/").content.decode()
    assert '<blockquote lang="ar" dir="rtl">' in body


@pytest.mark.parametrize(
    ("case_id", "notice"),
    [
        ("A-03", "Reconstructed record:</strong> made to match the study's published aggregates"),
        ("A-05", "Synthetic record:</strong>"),
    ],
)
def test_detail_flags_records_that_are_not_published_cases(client, dataset, case_id, notice):
    assert notice in client.get(f"/defectors/{case_id}/").content.decode().replace("&#x27;", "'")


def test_published_record_has_no_provenance_notice(client, dataset):
    assert 'id="provenance-notice"' not in client.get("/defectors/A-01/").content.decode()


def test_detail_shows_each_quotes_narratives_once_in_codebook_order(client, db, django_user_model):
    quote = QuoteFactory(text="Two coders agreed.")
    other = QuoteFactory(defector=quote.defector, source=quote.source, text="Nobody coded this yet.")
    quote.defector.sources.add(quote.source)
    first, second = (django_user_model.objects.create(username=name) for name in ("coder-a", "coder-b"))
    brutality, infighting = (Narrative.objects.get(code=code) for code in ("brutality", "infighting"))
    TagFactory(quote=quote, narrative=brutality, coder=first)
    TagFactory(quote=quote, narrative=brutality, coder=second)
    TagFactory(quote=quote, narrative=infighting, coder=first)
    tree = html.fromstring(client.get(quote.defector.get_absolute_url()).content)
    coded, uncoded = tree.xpath('//article[@class="quote"]')
    badges = [(a.text_content(), a.get("href")) for a in coded.xpath('.//a[contains(@class, "badge")]')]
    order = sorted([infighting, brutality], key=lambda n: (n.display_order, n.code))
    assert badges == [(n.name, n.get_absolute_url()) for n in order]
    assert "Not coded yet." in uncoded.text_content() and other.text in uncoded.text_content()


def test_detail_page_query_count(client, dataset, django_assert_num_queries):
    # the defector, its sources with outlets, its quotes with sources, their tags with narratives
    with django_assert_num_queries(4):
        assert client.get("/defectors/A-04/").status_code == 200


@pytest.mark.parametrize("role", [None, "analyst", "researcher"])
@pytest.mark.parametrize("url", ["/defectors/A-01/", f"{LIST}", f"{LIST}?q=Umm", "/narratives/infighting/", "/"])
def test_identity_fields_never_reach_non_holders(client, request, dataset, role, url):
    if role:
        client.force_login(request.getfixturevalue(role))
    body = client.get(url).content.decode()
    assert not any(marker in body for marker in IDENTITY_MARKERS)
    assert "Protected identity details" not in body


def test_identity_custodian_sees_the_protected_panel(client, custodian, dataset):
    client.force_login(custodian)
    body = client.get("/defectors/A-01/").content.decode()
    assert "Protected identity details" in body
    assert all(marker in body for marker in IDENTITY_MARKERS)


@pytest.mark.parametrize(("role", "status"), [(None, 404), ("analyst", 404), ("researcher", 404), ("custodian", 200)])
def test_restricted_defector_is_404_without_view_restricted(client, request, dataset, role, status):
    if role:
        client.force_login(request.getfixturevalue(role))
    assert client.get("/defectors/R-01/").status_code == status


def test_unknown_case_is_404(client, dataset):
    assert client.get("/defectors/NOPE-1/").status_code == 404


# --- public read off ---


@pytest.mark.parametrize("url", ["/", LIST, "/defectors/A-01/", EXPORT, "/narratives/", "/narratives/infighting/"])
def test_without_public_read_visitors_get_the_login_page(client, settings, dataset, analyst, url):
    settings.TESTIMONY_PUBLIC_READ = False
    response = client.get(url)
    if url == "/":
        # the home page says what the site is and offers the login, without figures
        assert response.status_code == 200
        assert "Log in</a> to browse it" in response.content.decode()
        assert "defector_count" not in response.context
        return
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    client.force_login(analyst)
    assert client.get(url).status_code == 200


def test_login_page_renders_a_labelled_form(client, db):
    body = client.get("/accounts/login/?next=/defectors/").content.decode()
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert "After logging in you return to <code>/defectors/</code>." in body


# --- home ---


def test_home_says_what_the_database_holds_and_links_to_the_report(client, dataset):
    response = client.get("/")
    body = response.content.decode()
    assert response.context["defector_count"] == 6  # the restricted one is not shown to visitors
    assert response.context["women_count"] == 2
    assert response.context["country_count"] == 4
    assert 'href="/reports/icsr-2015/"' in body
    assert 'href="/reports/"' in body
