"""figures.csv neutralises text cells that a spreadsheet would read as a formula
(issue 12, finding 6); numbers stay numbers."""

import csv
import io

import pytest
from django.urls import reverse

from reports.render import as_csv

pytestmark = pytest.mark.django_db


def test_figures_csv_prefixes_formula_text_and_leaves_numbers(client, small_study):
    figure = small_study.figures.get(key="total_defectors")
    figure.wording = '=HYPERLINK("http://evil.example","4 defectors")'
    figure.source = "@report"
    figure.save()
    response = client.get(reverse("reports:study-csv", args=["small"]))
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    total = rows["total_defectors"]
    assert total["published_wording"] == "'" + figure.wording
    assert total["source"] == "'@report"
    assert total["published"] == "4"


def test_negative_numbers_are_numbers_not_formulas():
    report = {"figures": [], "tables": {"by_sex": {"male": -1, "-female": 2}}}
    rows = list(csv.reader(io.StringIO(as_csv(report))))
    assert rows[1][:3] == ["by_sex", "male", "-1"]
    assert rows[2][:3] == ["by_sex", "'-female", "2"]
