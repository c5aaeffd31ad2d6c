"""model_update: the one way an API update sets a record's fields before its save service."""

from config.services import model_update
from testimony.models import Outlet


def test_sets_only_the_allowed_fields_given_and_names_those_that_changed():
    outlet = Outlet(name="BBC News", kind="broadcaster", country="GB")
    changed = model_update(
        instance=outlet,
        fields=["name", "kind", "country"],
        data={"name": "BBC News", "kind": "newspaper", "website": "https://bbc.example"},
    )
    assert changed == ["kind"]
    assert (outlet.name, outlet.kind, outlet.country, outlet.website) == ("BBC News", "newspaper", "GB", "")
