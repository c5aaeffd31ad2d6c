"""The API's documentation page in a real browser: Swagger UI from the vendored
sidecar assets, working under the page's own Content-Security-Policy."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_api_docs_render_offline_under_their_csp(page, live_server):
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith(("data:", "blob:"))
            else None
        ),
    )

    page.goto(f"{live_server.url}/api/docs/")

    # Swagger UI draws one block per operation once it has fetched /api/schema/.
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/defectors/").count() >= 1
    assert blocked == []
    assert outside == []
