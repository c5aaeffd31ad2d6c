"""Rules the services keep whichever surface (admin, API, import) calls them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from testimony.models import Defector
from testimony.services import CASE_ID_FIXED, defector_save
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db


def test_a_saved_case_id_never_changes():
    defector = DefectorFactory(case_id="SVC-1", name="Before")
    defector.case_id, defector.name = "SVC-2", "After"
    with pytest.raises(ValidationError) as error:
        defector_save(defector=defector)
    assert error.value.message_dict == {"case_id": [CASE_ID_FIXED]}
    assert list(Defector.objects.values_list("case_id", "name")) == [("SVC-1", "Before")]


def test_a_new_defector_takes_its_case_id_and_keeps_it_through_edits():
    new = Defector(case_id="SVC-3", name="First", reported_on=datetime.date(2015, 3, 1), reported_precision="day")
    defector = defector_save(defector=new)
    defector.name = "Second"
    defector_save(defector=defector)
    assert list(Defector.objects.values_list("case_id", "name")) == [("SVC-3", "Second")]
