"""Regenerate docs/defector-list.png, the README's picture of the list page.

    .venv/bin/python docs/make_screenshot.py

Builds a scratch SQLite database of synthetic defectors (flagged synthetic, as
all generated data is), serves it on 127.0.0.1:8401 and photographs
/defectors/ with Playwright driving /usr/bin/chromium.
"""

import datetime
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8401
OUT = ROOT / "docs" / "defector-list.png"


def build(db_url):
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from narratives.models import Narrative
    from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, TagFactory

    codes = list(Narrative.objects.order_by("display_order"))
    outlets = [OutletFactory(name=n) for n in ("BBC News", "The Guardian", "Al Jazeera", "The Washington Post")]
    countries = ["SY", "GB", "FR", "SY", "TR", "BE", "DE", "IQ", "SY", "SA"]
    for n in range(1, 41):
        defector = DefectorFactory(
            case_id=f"SYN-{n:03d}",
            name="anonymous defector" if n % 3 else f"Abu Example {n}",
            sex="female" if n % 6 == 0 else "male",
            country=countries[n % len(countries)],
            reported_on=datetime.date(2014 + (n > 14), (n % 12) + 1, 1),
            reported_precision="month" if n % 4 else "day",
        )
        source = SourceFactory(outlet=outlets[n % len(outlets)])
        defector.sources.add(source)
        for k in range(n % 3):
            quote = QuoteFactory(defector=defector, source=source)
            TagFactory(quote=quote, narrative=codes[(n + k) % len(codes)])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/screenshot.sqlite3"
        build(db_url)
        env = {**os.environ, "DATABASE_URL": db_url, "TESTIMONY_PUBLIC_READ": "1"}
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(50):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{PORT}/defectors/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=[
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                    ],
                )
                page = browser.new_page(viewport={"width": 1200, "height": 720})
                page.goto(f"http://127.0.0.1:{PORT}/defectors/?sex=male&reported_after=2015-01-01&page_size=25")
                page.screenshot(path=str(OUT))
                browser.close()
        finally:
            server.terminate()
            server.wait()
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
