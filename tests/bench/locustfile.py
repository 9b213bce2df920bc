"""The therapist mix of P11 (tests/bench/load.py): each simulated user is one signed-in
therapist going through the portal, the morning pages most often. A page that does not
answer 200 (a redirect to the sign-in page included) counts as a failure."""

import itertools
import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, constant, task

SIGNED_IN = json.loads(Path(os.environ["CASELOAD_LOAD_SESSIONS"]).read_text())
PAGES = SIGNED_IN["pages"]
_therapists = itertools.cycle(SIGNED_IN["therapists"])


class Therapist(HttpUser):
    wait_time = between(1, 3) if os.environ.get("CASELOAD_LOAD_THINK") == "1" else constant(0)

    def on_start(self):
        me = next(_therapists)
        self.client.cookies.set(SIGNED_IN["cookie"], me["session"])
        self.client_pages = me["client_pages"]

    def open(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"HTTP {page.status_code}")

    @task(4)
    def alerts(self):
        self.open(PAGES["home"], "alerts (home)")

    @task(3)
    def my_clients(self):
        self.open(PAGES["clients"], "my clients")

    @task(3)
    def client_page(self):
        self.open(random.choice(self.client_pages), "client page")

    @task(2)
    def schedule(self):
        self.open(PAGES["schedule"], "schedule")

    @task(2)
    def week(self):
        self.open(PAGES["week"], "week")

    @task(1)
    def rooms(self):
        self.open(PAGES["rooms"], "rooms")

    @task(1)
    def statements(self):
        self.open(PAGES["statements"], "statements")
