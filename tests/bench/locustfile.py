"""The two mixes of P11 and P14 (tests/bench/load.py): a simulated user is one signed-in
staff member going through the back office or one therapist going through the portal, the
pages they open most, most often. A page that does not answer 200 (a redirect to a sign-in
page included) counts as a failure.

Every request's time, by mix, from when all users are in until the run stops, goes to the
JSON file CASELOAD_LOAD_RESULTS (percentiles per mix need the times themselves, which
locust's own statistics keep only per page), with the requests sent and failed over the whole
run, the users' start included."""

import itertools
import json
import os
import random
import time
from pathlib import Path

from locust import HttpUser, between, constant, events, task

SIGNED_IN = json.loads(Path(os.environ["CASELOAD_LOAD_SESSIONS"]).read_text())
THINK = os.environ.get("CASELOAD_LOAD_THINK") == "1"
# Page and its weight in the mix. load.sign_in gives each page a URL, or URLs to pick one from
# (the clients' pages), for the whole mix or for one person (a therapist's own clients).
MIXES = {
    "staff": {"appointments": 4, "client": 3, "week": 2, "invoices": 2},
    "therapists": {
        "home": 4,
        "clients": 3,
        "client": 3,
        "schedule": 2,
        "week": 2,
        "rooms": 1,
        "statements": 1,
    },
}

_results = {
    "times_ms": {mix: [] for mix in MIXES},
    "sent": dict.fromkeys(MIXES, 0),
    "failures": dict.fromkeys(MIXES, 0),
}
_window: dict[str, float] = {}


class Person(HttpUser):
    abstract = True
    mix = ""
    wait_time = between(1, 3) if THINK else constant(0)

    def on_start(self):
        me = next(self.people)
        self.client.cookies.set(SIGNED_IN["cookie"], me["session"])
        self.client.verify = os.environ["CASELOAD_LOAD_AUTHORITY"]  # nginx's throwaway one
        self.pages = {**SIGNED_IN[self.mix]["pages"], **me["pages"]}

    @task
    def open_a_page(self):
        weights = MIXES[self.mix]
        page = random.choices(list(weights), weights=list(weights.values()))[0]
        path = self.pages[page]
        path = path if isinstance(path, str) else random.choice(path)
        name = f"{self.mix}: {page}"
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as got:
            if got.status_code != 200:
                got.failure(got.error or f"HTTP {got.status_code}")


class Staff(Person):
    mix = "staff"
    people = itertools.cycle(SIGNED_IN["staff"]["people"])


class Therapist(Person):
    mix = "therapists"
    people = itertools.cycle(SIGNED_IN["therapists"]["people"])


@events.spawning_complete.add_listener
def _all_in(user_count, **kwargs):
    _window["from"] = time.perf_counter()


@events.request.add_listener
def _record(name, response_time, exception, **kwargs):
    mix = name.split(":")[0]
    _results["sent"][mix] += 1
    _results["failures"][mix] += exception is not None
    if "from" in _window and "to" not in _window:
        _results["times_ms"][mix].append(response_time)


@events.test_stopping.add_listener
def _stopping(**kwargs):
    _window["to"] = time.perf_counter()


@events.quitting.add_listener
def _write(**kwargs):
    seconds = _window.get("to", time.perf_counter()) - _window["from"]
    Path(os.environ["CASELOAD_LOAD_RESULTS"]).write_text(
        json.dumps({**_results, "seconds": seconds})
    )
