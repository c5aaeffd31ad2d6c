"""Real-browser fixtures: Playwright (Python) driving Debian's Chromium against
pytest-django's live server.

Without /usr/bin/chromium the browser tests skip, saying how to install it;
with TESTIMONY_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails them.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("TESTIMONY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with: sudo apt-get install -y chromium chromium-driver"

# Playwright's sync API runs an asyncio loop in this thread, which trips Django's
# async-unsafe guard for the ORM calls the tests make; Django documents this switch.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


LIVE_SERVER_PORTS = range(8401, 8410)  # reserved for this project's browser tests


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, on the first port of LIVE_SERVER_PORTS that is free when it
    starts (or on --liveserver / DJANGO_LIVE_TEST_SERVER_ADDRESS). Other checkouts' suites on
    the machine use the same ports, so a port found free earlier may be taken by then."""
    from pytest_django.live_server_helper import LiveServer

    chosen = request.config.getvalue("liveserver") or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
    addresses = [chosen] if chosen else [f"127.0.0.1:{port}" for port in LIVE_SERVER_PORTS]
    refusals = []
    for address in addresses:
        try:
            server = LiveServer(address)
        except OSError as error:
            refusals.append(f"{address}: {error}")
            continue
        yield server
        server.stop()
        return
    raise RuntimeError("no port for the live server: " + "; ".join(refusals))


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}"
        if os.environ.get("TESTIMONY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message} (TESTIMONY_REQUIRE_BROWSER=1: browser tests may not be skipped here)")
        pytest.skip(message)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright runs the rest of the session in a greenlet with its own context
    # variables, where Django's (context-local) connections are new objects that
    # lack the serialized test data serialized_rollback restores; hand it over.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser tab (own cookies) at laptop size, downloads allowed."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
