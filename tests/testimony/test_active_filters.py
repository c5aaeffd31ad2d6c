"""Filters that stay: every active filter is a removable chip, and the side
panel's form carries the ones it has no control for."""

import pytest
from lxml import html

from tests.testimony.test_views import listed, listing_rows  # noqa: F401 - the shared rows' fixture

pytestmark = pytest.mark.django_db

LIST = "/defectors/"


@pytest.fixture
def dataset(listing_rows):  # noqa: F811 - the fixture imported above
    """The defector view tests' shared rows (six public defectors, one restricted)."""


def chips(response):
    tree = html.fromstring(response.content)
    return {
        li.get("data-filter"): (" ".join(li.text_content().replace("×", "").split()), li.find("a").get("href"))
        for li in tree.xpath('//*[@id="active-filters"]//li[@class="chip"]')
    }


def panel_hidden(response, form_id="filters"):
    tree = html.fromstring(response.content)
    return sorted((i.get("name"), i.get("value")) for i in tree.xpath(f'//*[@id="{form_id}"]//input[@type="hidden"]'))


def test_filters_the_panel_lacks_ride_along_as_hidden_inputs(client, dataset):
    response = client.get(f"{LIST}?study=icsr-2015&country_not=GB&country_not=SY&sex=female&region=europe&page=2")
    assert panel_hidden(response) == [
        ("country_not", "GB"),
        ("country_not", "SY"),
        ("region", "europe"),
        ("study", "icsr-2015"),
    ]


def test_each_active_filter_is_a_chip_whose_link_removes_only_it(client, dataset):
    response = client.get(f"{LIST}?study=icsr-2015&country_not=GB&country_not=SY&sex=female")
    shown = chips(response)
    assert set(shown) == {"study", "country_not", "sex"}
    assert shown["study"][0].startswith("Study: ")
    assert shown["country_not"][0] == "Country not: GB, SY"
    assert shown["sex"][0] == "Sex: Female"
    without_sex = client.get(shown["sex"][1])
    assert listed(without_sex) == listed(client.get(f"{LIST}?study=icsr-2015&country_not=GB&country_not=SY"))
    assert set(chips(without_sex)) == {"study", "country_not"}


def test_no_chip_without_filters(client, dataset):
    response = client.get(f"{LIST}?ordering=name&page_size=25")
    assert chips(response) == {}
    assert b'id="active-filters"' not in response.content


@pytest.mark.parametrize("param", ["country", "country_not"])
def test_country_codes_in_any_case(client, dataset, param):
    assert listed(client.get(f"{LIST}?{param}=gb")) == listed(client.get(f"{LIST}?{param}=GB"))


def test_lowercase_country_ticks_its_box(client, dataset):
    tree = html.fromstring(client.get(f"{LIST}?country=gb").content)
    assert tree.get_element_by_id("country-GB").get("checked") is not None


def test_narrative_page_has_the_list_panel_and_chips(client, dataset):
    response = client.get("/narratives/brutality/?country=fr&study=icsr-2015")
    assert response.status_code == 200
    tree = html.fromstring(response.content)
    assert tree.xpath('//*[@id="filters"]//input[@type="checkbox"][@name="country"]'), "country is a choice list"
    assert not tree.xpath('//*[@id="id_country"]')
    assert [q.defector.case_id for q in response.context["quotes"]] == ["A-04"]
    assert panel_hidden(response) == [("study", "icsr-2015")]
    assert set(chips(response)) == {"country", "study"}
    assert chips(response)["country"][1].startswith("/narratives/brutality/?")
