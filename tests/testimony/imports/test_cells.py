"""Parsers of single cells (testimony/imports/cells.py): what each column accepts."""

import datetime

import pytest
from django.utils import timezone

from testimony.imports import cells
from testimony.imports.result import CellError
from testimony.urls_normal import normal_url
from tests.testimony.imports.helpers import CODES, future


@pytest.mark.parametrize(
    "value, code",
    [
        ("GB", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Britain", "GB"),
        ("great britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Syria", "SY"),
        ("Syrian Arab Republic", "SY"),
        ("SYRIAN ARAB REPUBLIC", "SY"),
        ("USA", "US"),
        ("United States", "US"),
        ("the Netherlands", "NL"),
        ("Russian Federation", "RU"),
        ("Türkiye", "TR"),
        ("XX", "XX"),
        ("Unnamed in sources", "XX"),
        (" sy ", "SY"),
        ("", ""),
    ],
)
def test_country_accepted(value, code):
    assert cells.parse_country(value) == code


@pytest.mark.parametrize("value", ["Narnia", "ZZ", "840", "Syri", "G B", "Kurdistan"])
def test_country_rejected(value):
    with pytest.raises(CellError) as exc:
        cells.parse_country(value)
    assert "alpha-2" in exc.value.accepted


@pytest.mark.parametrize(
    "value, sex",
    [("male", "male"), ("Male", "male"), ("M", "male"), ("f", "female"), ("FEMALE", "female"), ("unknown", "unknown")],
)
def test_sex_accepted(value, sex):
    assert cells.parse_sex(value) == sex


@pytest.mark.parametrize("value", ["", "man", "u", "other", "mf"])
def test_sex_rejected(value):
    with pytest.raises(CellError):
        cells.parse_sex(value)


@pytest.mark.parametrize(
    "value, date, precision",
    [
        ("2015", datetime.date(2015, 1, 1), "year"),
        ("2015-08", datetime.date(2015, 8, 1), "month"),
        ("2015-8", datetime.date(2015, 8, 1), "month"),
        ("2015-08-14", datetime.date(2015, 8, 14), "day"),
        (" 2014-01-01 ", datetime.date(2014, 1, 1), "day"),
    ],
)
def test_reported_on_accepted(value, date, precision):
    assert cells.parse_partial_date(value) == (date, precision)


@pytest.mark.parametrize(
    "value",
    ["", "15", "2015/08/14", "14-08-2015", "2015-13", "2015-02-30", "August 2015", "2015-08-14T00:00", "next year"],
)
def test_reported_on_rejected(value):
    with pytest.raises(CellError) as exc:
        cells.parse_partial_date(value)
    assert exc.value.accepted == cells.PARTIAL_DATE_ACCEPTED


def test_reported_on_in_the_future_is_rejected_at_every_precision():
    next_year = str(timezone.localdate().year + 1)
    for value in (
        future(),
        future()[:7],  # 40 days ahead is always in a later month
        next_year,
    ):
        with pytest.raises(CellError, match="in the future"):
            cells.parse_partial_date(value)
    assert cells.parse_partial_date(str(timezone.localdate().year))[1] == "year"  # this year is fine


@pytest.mark.parametrize("value, code", [("en", "en"), ("AR", "ar"), ("Arabic", "ar"), ("french", "fr"), ("ps", "ps")])
def test_language_accepted(value, code):
    assert cells.parse_language(value) == code


@pytest.mark.parametrize("value", ["", "eng", "xx", "Klingon"])
def test_language_rejected(value):
    with pytest.raises(CellError):
        cells.parse_language(value)


@pytest.mark.parametrize(
    "value, codes",
    [
        ("", ()),
        ("infighting", ("infighting",)),
        ("infighting;brutality", ("infighting", "brutality")),
        (" Brutality ; infighting ;", ("brutality", "infighting")),
        ("corruption;corruption", ("corruption",)),
        ("quality-of-life", ("quality-of-life",)),
    ],
)
def test_narratives_accepted(value, codes):
    assert cells.parse_narratives(value, CODES) == codes


@pytest.mark.parametrize("value", ["boredom", "infighting,brutality", "infighting;quality of life"])
def test_narratives_rejected_listing_the_valid_codes(value):
    with pytest.raises(CellError) as exc:
        cells.parse_narratives(value, CODES)
    assert "infighting; brutality; corruption; quality-of-life" in exc.value.accepted


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bbc.co.uk/news/world-middle-east-34264525",
        "http://example.org:8080/a?b=c#d",
        "https://news.example.org/article-1/",
        "https://sub-domain.example.museum/x",
    ],
)
def test_the_fast_url_check_only_accepts_what_django_accepts(url):
    from django.core.validators import URLValidator

    assert cells.PLAIN_URL_RE.match(url)
    URLValidator(schemes=["http", "https"])(url)  # raises if the fast path were too lenient
    assert cells.parse_url(url) == normal_url(url)  # stored in the form the admin and the API store


@pytest.mark.parametrize(
    "url", ["https://-bad-.example.org/", "https://example", "http://exa mple.org", "https://a..b/"]
)
def test_urls_off_the_fast_path_get_django_s_full_check(url):
    with pytest.raises(CellError):
        cells.parse_url(url)
