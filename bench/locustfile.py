"""The mixed workload of ``make loadtest`` (bench/loadtest.py runs it headless).

Anonymous readers (the load test serves with TESTIMONY_PUBLIC_READ on) over
the pages people use most, weighted roughly as browsing is: lists more than
searches, details most. ``/healthz`` runs under the same load as the floor:
the same gunicorn, middleware and queueing, no database. Every response's
status is counted per second into LOADTEST_STATUS_FILE, so the restart run can
say which statuses came when.
"""

import json
import os
import random
import time
from collections import Counter, defaultdict

from locust import HttpUser, between, events, task

SYNTHETIC = int(os.environ.get("LOADTEST_DEFECTORS", "100000"))
SEED = int(os.environ.get("LOADTEST_SEED", "13"))
STATUS_FILE = os.environ.get("LOADTEST_STATUS_FILE", "")
statuses = Counter()
statuses_by_second = defaultdict(Counter)


@events.request.add_listener
def count_status(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0  # 0: no HTTP answer at all (refused, reset, timeout)
    statuses[status] += 1
    statuses_by_second[int(time.time())][status] += 1


@events.quitting.add_listener
def write_statuses(environment, **kwargs):
    if STATUS_FILE:
        with open(STATUS_FILE, "w") as out:
            json.dump(
                {
                    "total": {str(k): v for k, v in statuses.items()},
                    "by_second": {str(s): {str(k): v for k, v in c.items()} for s, c in statuses_by_second.items()},
                },
                out,
            )


def a_case_id():
    return f"SYN{SEED}-{random.randint(1, SYNTHETIC):06d}"


class Reader(HttpUser):
    wait_time = between(0.5, 1.5)

    def get(self, path, name):
        # A 503 while the database is down is the answer we want, not a locust failure to hide: counted above.
        self.client.get(path, name=name)

    @task(3)
    def defector_list(self):
        self.get(f"/defectors/?page={random.randint(1, 20)}", "list")

    @task(2)
    def filtered_list(self):
        self.get("/defectors/?sex=female&country=SY&narrative=brutality", "filtered list")

    @task(1)
    def search(self):
        self.get(f"/defectors/?q={random.choice(['electricity', 'salary', 'zebra'])}", "search")

    @task(4)
    def detail(self):
        self.get(f"/defectors/{a_case_id()}/", "detail")

    @task(1)
    def narrative_page(self):
        self.get("/narratives/brutality/", "narrative page")

    @task(1)
    def report(self):
        self.get("/reports/icsr-2015/", "report")

    @task(2)
    def api_list(self):
        self.get("/api/v1/defectors/", "API list")

    @task(4)
    def healthz(self):
        self.get("/healthz", "healthz (floor)")
