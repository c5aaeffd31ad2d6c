"""Issue 15: a duplicate warned before saving in the admin, and merged after."""

import datetime

import pytest

from testimony.models import Defector, DefectorAlias
from tests.browser.test_coding import sign_in
from tests.factories import DefectorFactory, QuoteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_duplicate_is_warned_before_saving_and_merged_after(page, live_server):
    stored = DefectorFactory(
        case_id="ICSR15-001", name="Abu Omar al-Shami", country="GB", reported_on=datetime.date(2015, 8, 3)
    )
    QuoteFactory(defector=stored)
    sign_in(page, live_server, UserFactory(username="researcher", is_staff=True, roles=["Researcher"]))

    page.goto(f"{live_server.url}/admin/testimony/defector/add/")
    page.fill("#id_case_id", "GUARDIAN-7")
    page.fill("#id_name", "abu omar al shami")
    page.select_option("#id_country", "GB")
    page.fill("#id_reported_on", "2015-08-20")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.locator("ul.possible-duplicates")
    assert "ICSR15-001 Abu Omar al-Shami (similar name, reported 17 days apart)" in warning.inner_text()
    assert warning.get_by_role("link", name="ICSR15-001 Abu Omar al-Shami").get_attribute("href") == (
        f"/admin/testimony/defector/{stored.pk}/change/"
    )
    assert not Defector.objects.filter(case_id="GUARDIAN-7").exists()

    page.get_by_label("This is not a duplicate").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/testimony/defector/")
    duplicate = Defector.objects.get(case_id="GUARDIAN-7")

    # It is the same person after all: merge, keeping the published case ID.
    page.locator(f'input[name="_selected_action"][value="{stored.pk}"]').check()
    page.locator(f'input[name="_selected_action"][value="{duplicate.pk}"]').check()
    page.select_option('select[name="action"]', "merge_selected")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("ICSR15-001").check()
    page.get_by_role("button", name="Merge").click()
    page.wait_for_url(f"**/admin/testimony/defector/{stored.pk}/change/")
    assert "Merged GUARDIAN-7 into ICSR15-001" in page.locator(".messagelist").inner_text()

    assert list(Defector.objects.values_list("case_id", flat=True)) == ["ICSR15-001"]
    assert DefectorAlias.objects.get(case_id="GUARDIAN-7").defector_id == stored.pk
    page.goto(f"{live_server.url}/defectors/GUARDIAN-7/")
    assert page.url == f"{live_server.url}/defectors/ICSR15-001/"
