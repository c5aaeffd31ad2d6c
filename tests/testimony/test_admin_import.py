"""The admin's CSV import: who may use it, preview writes nothing, confirm imports with history."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from testimony.models import Defector
from tests.factories import DefectorFactory, UserFactory
from tests.testimony.imports.helpers import row, to_csv

pytestmark = pytest.mark.django_db

URL = reverse("admin:testimony_defector_import")


def upload(client, content: bytes, name="cases.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_the_changelist_offers_the_import_to_researchers_only(client, researcher):
    client.force_login(researcher)
    assert URL in client.get(reverse("admin:testimony_defector_changelist")).content.decode()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_defector"))
    client.force_login(viewer)
    assert URL not in client.get(reverse("admin:testimony_defector_changelist")).content.decode()


@pytest.mark.parametrize("codenames", [[], ["view_defector"], ["add_defector"], ["change_defector", "view_defector"]])
def test_staff_without_add_and_change_permissions_are_refused(client, codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert upload(client, to_csv([row()])).status_code == 403
    assert not Defector.objects.exists()


def test_non_staff_users_are_sent_to_the_admin_login(client, analyst):
    client.force_login(analyst)
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_preview_then_confirm_imports_with_the_researcher_in_history(client, researcher):
    DefectorFactory(case_id="T-2", name="Old")
    client.force_login(researcher)
    assert client.get(URL).status_code == 200

    response = upload(client, to_csv([row(), row(case_id="T-2")]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<td id="count-created">1</td>' in page and '<td id="count-updated">1</td>' in page
    assert "Confirm import" in page
    assert list(Defector.objects.values_list("case_id", "name")) == [("T-2", "Old")]  # a preview writes nothing

    digest = response.context["digest"]
    response = client.post(URL, {"action": "confirm", "digest": digest})
    assert response.status_code == 302 and response["Location"] == reverse("admin:testimony_defector_changelist")
    assert sorted(Defector.objects.values_list("case_id", "name")) == [("T-1", "Abu Test"), ("T-2", "Abu Test")]
    record = Defector.objects.get(case_id="T-1").history.get()
    assert record.history_user == researcher
    assert "cases.csv" in record.history_change_reason
    # The file is gone from the session: confirming twice does nothing more.
    response = client.post(URL, {"action": "confirm", "digest": digest})
    assert response.status_code == 302 and response["Location"] == URL


def test_a_bad_file_lists_every_error_and_offers_no_confirmation(client, researcher):
    client.force_login(researcher)
    response = upload(client, to_csv([row(sex="robot"), row(case_id="T-2", country="Atlantis")]))
    page = response.content.decode()
    assert "line 2, column sex: &#x27;robot&#x27; is not a sex" in page
    assert "line 3, column country: &#x27;Atlantis&#x27; is not a country" in page
    assert "Confirm import" not in page
    assert not Defector.objects.exists()


def test_confirm_validates_again_and_ignores_a_stale_digest(client, researcher):
    client.force_login(researcher)
    response = upload(client, to_csv([row()]))
    assert client.post(URL, {"action": "confirm", "digest": "0" * 64}).status_code == 302
    assert not Defector.objects.exists()

    # Between preview and confirm the case became restricted: the import is refused now.
    DefectorFactory(case_id="T-1", visibility="restricted", name="Hidden")
    response = client.post(URL, {"action": "confirm", "digest": response.context["digest"]})
    assert response.status_code == 200
    assert "is restricted and you may not change it" in response.content.decode()
    assert Defector.objects.get().name == "Hidden"


def test_files_over_the_limit_are_refused_with_a_pointer_to_the_command(client, researcher, settings):
    settings.TESTIMONY_ADMIN_IMPORT_MAX_BYTES = 100
    client.force_login(researcher)
    response = upload(client, to_csv([row(), row(case_id="T-2")]))
    assert "import_defectors" in response.content.decode()
    assert "Confirm import" not in response.content.decode()


def test_template_csv_is_the_header_that_imports_cleanly(client, researcher):
    import csv
    import io

    from testimony.imports.columns import COLUMNS

    client.force_login(researcher)
    page = client.get(URL).content.decode()
    template_url = reverse("admin:testimony_defector_import_template")
    assert template_url in page
    response = client.get(template_url)
    assert response["Content-Type"].startswith("text/csv")
    assert "defectors-template.csv" in response["Content-Disposition"]
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [COLUMNS]
    # Filled in with one row (its other columns left empty), the template imports.
    out = io.StringIO(response.content.decode())
    out.seek(0, io.SEEK_END)
    csv.DictWriter(out, fieldnames=COLUMNS, restval="").writerows(csv.DictReader(io.StringIO(to_csv([row()]).decode())))
    filled = out.getvalue().encode()
    assert upload(client, filled).context["result"].ok


def test_template_csv_is_refused_without_the_import_permissions(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_defector"))
    client.force_login(user)
    assert client.get(reverse("admin:testimony_defector_import_template")).status_code == 403


def test_the_page_s_column_text_is_the_readme_s(client, researcher):
    import re
    from html import unescape

    from tests.testimony.imports.test_columns import import_section

    client.force_login(researcher)
    page = client.get(URL).content.decode()
    paragraph = re.search(r'<p id="import-columns">(.*?)</p>', page, re.S).group(1)
    text = " ".join(unescape(re.sub(r"<[^>]+>|\{#.*?#\}", "", paragraph)).split())
    readme = " ".join(import_section().replace("`", "").replace("**Columns.**", "").split())
    assert text in readme
