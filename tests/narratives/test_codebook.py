import pytest
from django.contrib.auth.models import Group

from narratives.models import Narrative

pytestmark = pytest.mark.django_db


def test_migration_creates_the_four_icsr_2015_narratives_in_order():
    assert list(Narrative.objects.values_list("code", flat=True)) == [
        "infighting",
        "brutality",
        "corruption",
        "quality-of-life",
    ]


@pytest.mark.parametrize("code", ["infighting", "brutality", "corruption", "quality-of-life"])
def test_each_narrative_is_defined_with_notes_and_a_colour(code):
    narrative = Narrative.objects.get(code=code)
    assert len(narrative.definition) > 100
    assert narrative.inclusion_notes and narrative.exclusion_notes
    assert narrative.colour.startswith("#") and len(narrative.colour) == 7


@pytest.mark.parametrize(
    "role, allowed, denied",
    [
        ("Researcher", {"add_defector", "change_quote", "delete_tag", "add_narrative"}, {"view_identity", "add_user"}),
        ("Analyst", {"view_defector", "view_quote", "view_narrative"}, {"add_defector", "view_identity"}),
        ("Identity custodian", {"view_identity", "view_restricted"}, {"add_defector"}),
    ],
)
def test_migrate_creates_the_roles_with_their_permissions(role, allowed, denied):
    codenames = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
    assert allowed <= codenames
    assert not (denied & codenames)
