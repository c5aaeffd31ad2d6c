"""Codebook versions (a change of meaning makes one; tags record theirs; the
report names them) and the admin's bulk tag/untag actions."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from coding.models import CodebookVersion, CodingDecision
from coding.services import coding_decide
from narratives.models import Narrative, Tag
from narratives.services import narrative_save


@pytest.mark.parametrize(
    ("field", "value", "new_version"),
    [
        ("definition", "A new meaning.", True),
        ("inclusion_notes", "Also this.", True),
        ("exclusion_notes", "Not that.", True),
        ("name", "A new name", False),
        ("colour", "#000000", False),
    ],
)
def test_a_change_of_meaning_makes_a_new_version(db, field, value, new_version):
    before = CodebookVersion.objects.count()
    narrative = Narrative.objects.get(code="brutality")
    setattr(narrative, field, value)
    narrative_save(narrative=narrative, change_note="tightened")
    assert CodebookVersion.objects.count() == before + new_version
    if new_version:
        current = CodebookVersion.objects.current()
        assert current.note == "tightened" and current.snapshot["brutality"][field] == value


def test_tags_record_the_version_and_the_report_warns_when_they_mix(client, icsr_study, coders, codebook, quotes):
    coding_decide(quote=quotes[0], coder=coders[0], narratives=[codebook["brutality"]])
    assert Tag.objects.get(coder=coders[0]).codebook_version.number == 1
    brutality = codebook["brutality"]
    brutality.definition += " Changed."
    narrative_save(narrative=brutality)
    coding_decide(quote=quotes[1], coder=coders[0], narratives=[codebook["brutality"]])
    assert Tag.objects.filter(quote=quotes[1]).get().codebook_version.number == 2
    for quote in quotes[:2]:
        quote.defector.provenance = "published"
        quote.defector.save()
    # The new codings came after the study was frozen: they count under "today".
    page = client.get(reverse("reports:study-report", args=["icsr-2015"]), {"scope": "today"}).content.decode()
    assert "Tags counted: adjudicated tags, else the tags all coders agree on" in page
    assert "versions 1, 2" in page and "mix codebook versions" in page


def test_the_fixture_report_says_its_tags_have_no_recorded_version(client, icsr_study):
    page = client.get(reverse("reports:study-report", args=["icsr-2015"])).content.decode()
    assert "an unrecorded version" in page and "mix" not in page


def test_admin_change_note_names_the_new_version(client, db):
    from tests.factories import UserFactory

    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    narrative = Narrative.objects.get(code="corruption")
    data = {
        "code": narrative.code,
        "name": narrative.name,
        "definition": "Corruption, redefined.",
        "inclusion_notes": narrative.inclusion_notes,
        "exclusion_notes": narrative.exclusion_notes,
        "display_order": narrative.display_order,
        "colour": narrative.colour,
        "change_note": "Narrowed after the pilot.",
    }
    response = client.post(reverse("admin:narratives_narrative_change", args=[narrative.pk]), data)
    assert response.status_code == 302
    version = CodebookVersion.objects.current()
    assert (version.number, version.note, version.created_by) == (2, "Narrowed after the pilot.", admin)


def test_bulk_tag_and_untag_in_the_admin_record_the_coder(client, coders, codebook, quotes):
    amina, boris = coders
    Tag.objects.create(quote=quotes[0], narrative=codebook["brutality"], coder=boris)
    client.force_login(amina)
    url = reverse("admin:testimony_quote_changelist")
    selected = [q.pk for q in quotes[:3]]
    client.post(url, {"action": "tag_brutality", "_selected_action": selected})
    assert Tag.objects.filter(coder=amina, narrative__code="brutality").count() == 3
    assert CodingDecision.objects.filter(coder=amina).count() == 3
    client.post(url, {"action": "untag_brutality", "_selected_action": selected})
    assert not Tag.objects.filter(coder=amina).exists()
    assert Tag.objects.filter(coder=boris).count() == 1  # another coder's tag stays


def test_migrate_made_version_one(db):
    call_command("migrate", verbosity=0)
    assert CodebookVersion.objects.filter(number=1).exists()
