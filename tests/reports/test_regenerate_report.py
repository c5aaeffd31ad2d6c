import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("regenerate_report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("json", lambda text: json.loads(text)["figures"][0]["key"] == "total_defectors"),
        ("csv", lambda text: next(csv.reader(io.StringIO(text)))[:3] == ["table", "key", "computed"]),
        ("markdown", lambda text: "| figure | computed | published |" in text),
        ("text", lambda text: "total_defectors" in text and "approximately consistent" in text),
    ],
)
def test_formats(icsr_study, fmt, check):
    assert check(run("icsr-2015", "--format", fmt))


def test_csv_carries_figures_and_tables(icsr_study):
    rows = list(csv.DictReader(io.StringIO(run("icsr-2015", "--format", "csv"))))
    cells = {(r["table"], r["key"]): r["computed"] for r in rows}
    assert cells[("figures", "share_2015_jan_aug_almost_60")] == "0.6207"
    assert cells[("by_sex", "female")] == "7"
    assert cells[("by_month", "date_not_precise_enough")] == "1"


def test_exit_status_is_zero_when_figures_are_inconsistent(small_study):
    assert "inconsistent" in run("small")  # empty database: nothing matches, still exit 0


def test_strict_fails_on_any_figure_that_is_not_consistent(icsr_study):
    with pytest.raises(CommandError, match="share_2015_jan_aug_almost_60") as error:
        run("icsr-2015", "--strict")
    assert error.value.returncode == 1


def test_strict_passes_when_every_figure_is_consistent(icsr_study):
    icsr_study.figures.exclude(
        key__in=["total_defectors", "male_defectors", "female_defectors", "share_2015_jan_aug", "peak_month"]
    ).delete()
    run("icsr-2015", "--strict")


def test_unknown_study_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Unknown study 'icsr-2016'. Known studies: icsr-2015"):
        run("icsr-2016")
