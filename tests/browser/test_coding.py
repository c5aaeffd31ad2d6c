"""Two researchers code the same 20 quotes blind in the queue (Chromium); the
reliability page and API agree with the krippendorff package on their
decisions; a reviewer adjudicates and the study's narrative table follows."""

import json

import krippendorff
import numpy as np
import pytest
from django.test import Client

from testimony.models import Quote
from tests.factories import QuoteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KEYS = {"infighting": "1", "brutality": "2", "corruption": "3", "quality-of-life": "4"}
QUOTES = 20


def amina(i) -> list[str]:
    return [["brutality"], [], ["brutality", "corruption"]][i % 3]


def boris(i) -> list[str]:
    """Like amina except on every fourth quote."""
    if i % 4:
        return amina(i)
    return ["corruption"] if amina(i) == ["brutality"] else ["brutality"]


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def code_everything(page, live_server, decide):
    page.goto(f"{live_server.url}/coding/?study=icsr-2015")
    for i in range(QUOTES):
        assert page.locator("#queue-status").inner_text().startswith(f"{QUOTES - i} quote")
        # Blind: whatever the other coder did is not on the page before this coder's decision.
        assert page.locator("#others-hidden").is_visible()
        others = page.locator("#other-codings").inner_text()
        assert "amina" not in others and "boris" not in others
        codes = decide(i)
        with page.expect_navigation():
            if codes:
                for code in codes:
                    page.keyboard.press(KEYS[code])
                page.keyboard.press("Enter")
            else:
                page.keyboard.press("0")
    assert f"You have coded all {QUOTES} quotes" in page.locator("#queue-done").inner_text()


def brutality_quotes_in_report(page, live_server) -> int:
    page.goto(f"{live_server.url}/reports/icsr-2015/")
    table = page.locator("table", has=page.locator("caption", has_text="Defectors and quotes per narrative"))
    row = table.locator("tr", has=page.locator("th", has_text="Brutality"))
    return int(row.locator("td").nth(1).inner_text())


def test_two_coders_reliability_and_adjudication(page, live_server):
    first = UserFactory(username="amina", is_staff=True, roles=["Researcher"])
    second = UserFactory(username="boris", is_staff=True, roles=["Researcher"])
    reviewer = UserFactory(username="rita", is_staff=True, roles=["Researcher", "Reviewer"])
    for _ in range(QUOTES):
        QuoteFactory(defector__provenance="published")  # in the study's window (2015-03-14)

    sign_in(page, live_server, first)
    code_everything(page, live_server, amina)

    page.context.clear_cookies()
    sign_in(page, live_server, second)
    code_everything(page, live_server, boris)
    # Once coded, the other coder's tags show; p goes back, ? opens the help.
    last = Quote.objects.order_by("-pk").first()
    page.goto(f"{live_server.url}/coding/{last.pk}/?study=icsr-2015")
    with page.expect_navigation():
        page.keyboard.press("p")
    assert page.url.endswith(f"/coding/{last.pk - 1}/?study=icsr-2015")
    assert "amina" in page.locator("#other-codings").inner_text()
    page.keyboard.press("?")
    assert page.locator("#shortcut-help").is_visible()

    decisions = {
        code: np.array(
            [[float(code in amina(i)) for i in range(QUOTES)], [float(code in boris(i)) for i in range(QUOTES)]]
        )
        for code in ("brutality", "corruption")
    }
    expected = {
        code: krippendorff.alpha(reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1])
        for code, data in decisions.items()
    }
    page.goto(f"{live_server.url}/api/v1/reliability/?study=icsr-2015&format=json")
    report = json.loads(page.locator("body").inner_text())
    assert report["coders"] == ["amina", "boris"] and report["units"] == QUOTES
    for code, alpha in expected.items():
        stats = report["narratives"][code]
        assert stats["alpha"] == pytest.approx(alpha, abs=1e-4)
        assert stats["alpha_ci"][0] <= stats["alpha"] <= stats["alpha_ci"][1]
        a, b = decisions[code]
        po = (a == b).mean()
        assert stats["percent_agreement"] == pytest.approx(po, abs=1e-4)
        pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
        assert stats["kappa"] == pytest.approx((po - pe) / (1 - pe), abs=1e-4)
    page.goto(f"{live_server.url}/coding/reliability/?study=icsr-2015")
    assert page.locator("#reliability-brutality .alpha").inner_text().startswith(f"{expected['brutality']:.3f}")
    disputed = [i for i in range(QUOTES) if amina(i) != boris(i)]
    assert page.locator("#disagreements li").count() == len(disputed)

    # Before adjudication a disputed quote counts what both applied.
    before = sum("brutality" in amina(i) and "brutality" in boris(i) for i in range(QUOTES))
    page.context.clear_cookies()
    sign_in(page, live_server, reviewer)
    assert brutality_quotes_in_report(page, live_server) == before
    assert (
        "Tags counted: adjudicated tags, else the tags all coders agree on"
        in page.locator("#tags-counted").inner_text()
    )

    for _ in disputed:
        page.goto(f"{live_server.url}/coding/adjudication/?study=icsr-2015&status=disputed")
        page.locator("#adjudication-quotes tbody a").first.click()
        assert page.locator("#codings").inner_text().count("\n") >= 1  # both codings side by side
        for box in page.locator("input[name=narrative]").all():
            box.set_checked(box.get_attribute("value") == "brutality")
        page.get_by_label("Note").fill("Brutality is the point of the quote.")
        with page.expect_navigation():
            page.get_by_role("button", name="Record adjudication").click()
    page.goto(f"{live_server.url}/coding/adjudication/?study=icsr-2015&status=adjudicated")
    assert f"adjudicated ({len(disputed)})" in page.locator("#statuses").inner_text()

    after = before + sum(1 for i in disputed if not ("brutality" in amina(i) and "brutality" in boris(i)))
    assert after > before
    assert brutality_quotes_in_report(page, live_server) == after
