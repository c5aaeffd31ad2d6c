import pytest
from django.urls import reverse

from reports.models import Study

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["study", "publishedfigure"])
def test_admin_pages_render(client, researcher, model):
    client.force_login(researcher)
    assert client.get(reverse(f"admin:reports_{model}_add")).status_code == 200
    assert client.get(reverse(f"admin:reports_{model}_changelist")).status_code == 200


def test_study_change_page_shows_its_figures_inline(client, researcher):
    client.force_login(researcher)
    study = Study.objects.get(code="icsr-2015")
    html = client.get(reverse("admin:reports_study_change", args=[study.pk])).content.decode()
    assert "share_2015_jan_aug_almost_60" in html


def test_researcher_adds_a_study_with_a_figure_and_a_bad_selection_is_refused(client, researcher):
    client.force_login(researcher)
    data = {
        "code": "later-study",
        "title": "A later study",
        "window_start": "2016-01-01",
        "window_end": "2016-12-31",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "figures-TOTAL_FORMS": "1",
        "figures-INITIAL_FORMS": "0",
        "figures-0-key": "total_defectors",
        "figures-0-aggregate": "count",
        "figures-0-selection": "countryy=SY",
        "figures-0-kind": "count",
        "figures-0-value": "12",
        "figures-0-qualifier": "exact",
        "figures-0-status": "V",
        "figures-0-display_order": "0",
    }
    response = client.post(reverse("admin:reports_study_add"), data)
    assert response.status_code == 200
    assert "Unknown filter countryy" in response.content.decode()
    assert not Study.objects.filter(code="later-study").exists()

    data["figures-0-selection"] = "country=SY"
    response = client.post(reverse("admin:reports_study_add"), data)
    assert response.status_code == 302
    assert Study.objects.get(code="later-study").figures.get().selection == "country=SY"
