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
# Page (a URL name of load.sign_in's "pages", or "client" for one of the therapist's client
# pages) and its weight in the mix.
MIX = {"home": 4, "clients": 3, "client": 3, "schedule": 2, "week": 2, "rooms": 1, "statements": 1}
_therapists = itertools.cycle(SIGNED_IN["therapists"])


class Therapist(HttpUser):
    wait_time = between(1, 3) if os.environ.get("CASELOAD_LOAD_THINK") == "1" else constant(0)

    def on_start(self):
        me = next(_therapists)
        self.client.cookies.set(SIGNED_IN["cookie"], me["session"])
        self.client_pages = me["client_pages"]

    @task
    def open_a_page(self):
        page = random.choices(list(MIX), weights=list(MIX.values()))[0]
        path = random.choice(self.client_pages) if page == "client" else SIGNED_IN["pages"][page]
        with self.client.get(path, name=page, allow_redirects=False, catch_response=True) as got:
            if got.status_code != 200:
                got.failure(f"HTTP {got.status_code}")
