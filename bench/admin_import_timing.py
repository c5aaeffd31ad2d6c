"""How long one request of the admin's CSV import takes, to size TESTIMONY_ADMIN_IMPORT_MAX_ROWS
(README, "Import and export"). The slowest case is a file that updates every case it names:
the import replaces each case's quotes and tags one by one (with their history).

It uploads a file of N new cases (preview, then confirm), then the same N cases changed
(preview, confirm), through the admin view itself with Django's test client, and prints the
seconds of each request. It writes into the database DATABASE_URL names (cases ADMIN-BENCH-*):
use a scratch one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/admin_import_timing.py --rows 2000
"""

import argparse
import csv
import io
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def long_form(rows: int, version: str) -> bytes:
    from testimony.longform import CONTRACT_COLUMNS

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONTRACT_COLUMNS)
    for n in range(rows):
        writer.writerow(
            [f"ADMIN-BENCH-{n}", f"Defector {n}{version}", "female", "Syria", "2015-03-02", f"Outlet {n}",
             f"Title {n}", f"https://example.org/{n}", "2015-03-01", f"Quote {n}{version}", "ar", f"Translation {n}",
             "infighting;brutality;corruption"]
        )  # fmt: skip
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    rows = parser.parse_args().rows

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    user, _ = get_user_model().objects.get_or_create(username="admin-import-bench", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Researcher"))
    client = Client()
    client.force_login(user)
    url = "/admin/testimony/defector/import/"
    print(f"{connection.vendor}, {rows} rows, one case per row")
    unlimited = {"TESTIMONY_ADMIN_IMPORT_MAX_ROWS": 10**9, "TESTIMONY_ADMIN_IMPORT_MAX_BYTES": 2**40}
    with override_settings(**unlimited, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for label, version in (("new cases", ""), ("every case updated", " changed")):
            start = time.perf_counter()
            content = long_form(rows, version)
            response = client.post(url, {"file": SimpleUploadedFile("bench.csv", content, content_type="text/csv")})
            preview = time.perf_counter() - start
            digest = re.search(rb'name="digest" value="([0-9a-f]+)"', response.content)
            if digest is None:
                sys.exit(f"{label}: the preview found errors:\n{response.content.decode()[:3000]}")
            start = time.perf_counter()
            client.post(url, {"action": "confirm", "digest": digest.group(1).decode()})
            confirm = time.perf_counter() - start
            print(
                f"{label:>20}: preview {preview:5.1f} s, confirm {confirm:5.1f} s "
                f"({1000 * max(preview, confirm) / rows:.1f} ms per row)"
            )


if __name__ == "__main__":
    main()
