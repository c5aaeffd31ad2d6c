import datetime

import pytest

from reports.models import Study


@pytest.fixture
def small_study(db):
    """A study of calendar 2015 with a few figures of each kind, for hand-computed datasets."""
    study = Study.objects.create(
        code="small",
        title="Small study",
        window_start=datetime.date(2015, 1, 1),
        window_end=datetime.date(2015, 12, 31),
    )
    june_to_august = "reported_after=2015-06-01&reported_before=2015-08-31"
    figures = [
        ("total_defectors", "count", "", "count", 4, "", "exact"),
        ("female_defectors", "count", "sex=female", "count", 1, "", "exact"),
        ("defectors_from_SY", "count", "country=SY", "count", 2, "", "exact"),
        ("defectors_jun_aug_2015", "count", june_to_august, "count", 2, "", "exact"),
        ("share_2015_jun_aug", "share", june_to_august, "share", "0.5", "", "about"),
        ("peak_month", "peak_month", "", "month", None, "2015-07", "exact"),
    ]
    for order, (key, aggregate, selection, kind, value, value_text, qualifier) in enumerate(figures):
        study.figures.create(
            key=key,
            aggregate=aggregate,
            selection=selection,
            kind=kind,
            value=value,
            value_text=value_text,
            qualifier=qualifier,
            display_order=order,
        )
    return study
