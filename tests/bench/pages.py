"""The pages `make bench` measures: add a row to PAGES to measure one more page.

A row is (name, URL name, query parameters, who signs in, URL path arguments). Parameter
values and path arguments may name a context value in braces, filled in from the bench
database (see measure.bench_context):

    {therapist}           a therapist with a full page of appointments in the bench month
    {month_first}         the first and last days of the bench period (YYYY-MM-DD): the
    {month_last}          bench month's days both databases hold (databases.BENCH_PERIOD)
    {payer}               a payer with a full page of authorizations expiring in the month
    {expiry_month_first}  of its first and last days
    {expiry_month_last}
    {last_name}           a client last name that fills the client and appointment searches
    {client}              a client of {therapist}

Values are picked so that both scales list the same number of rows (a full page where
possible) and are the same at both scales: the figures then compare history, not rows.

Who signs in: "superuser" (a staff superuser in the administrator role, as the demo's admin
login) or "therapist" (the user of {therapist}).

`bars` names the bars a page is held to (docs/quality.md): the list pages' P1, P2 and P3, or
the worklist pages' P9 (a higher query ceiling: the home page draws every team's tasks). P3
is a bar on lists: the task list keeps it, the home page (not a list; its counts are bounded
by dates, and P9's ratio holds them) does not.
"""

from typing import NamedTuple


class Bars(NamedTuple):
    queries: str  # the id of the bar on the query count: the same at both scales, at most
    max_queries: int
    ratio: str  # the id of the bar on the time at 500k over the time at 5k
    is_list: bool = True  # held to P3 too (no big COUNT/DISTINCT)


LIST_PAGE = Bars("P1", 8, "P2")
# A page about one record (the portal's client page): its counts are bound to that record's
# rows through an index, and P2 holds them.
RECORD_PAGE = Bars("P1", 8, "P2", is_list=False)
WORKLIST_LIST = Bars("P9", 10, "P9")
WORKLIST_HOME = Bars("P9", 10, "P9", is_list=False)


class Page(NamedTuple):
    name: str
    url: str
    params: dict[str, str]
    user: str = "superuser"
    args: tuple[str, ...] = ()
    bars: Bars = LIST_PAGE


APPOINTMENTS = "admin:scheduling_appointment_changelist"
CLIENTS = "admin:caseload_client_changelist"
AUTHORIZATIONS = "admin:caseload_authorization_changelist"
THERAPIST_CASELOAD = "admin:caseload_therapist_caseload"
BAD_FIT = "admin:scheduling_badfitentry_changelist"
INVOICES = "admin:billing_invoice_changelist"
PAYMENTS = "admin:billing_payment_changelist"
RECEIPTS = "admin:billing_receipt_changelist"
STATEMENTS = "admin:payouts_statement_changelist"
# The worklist: the home page (each team's tasks) and the task list. The databases hold the
# tasks of the demo's sweeps (fixtures/demo/worklist.py).
HOME = "admin:index"
TASKS = "admin:worklist_task_changelist"

MONTH = {"starts_at_from": "{month_first}", "starts_at_to": "{month_last}"}
EXPIRY_MONTH = {"valid_until_from": "{expiry_month_first}", "valid_until_to": "{expiry_month_last}"}
BY_THERAPIST = {"therapist__id__exact": "{therapist}"}
SEARCH = {"q": "{last_name}"}

# The reports. The week is the bench month's 10th: inside the 5k span (26 January to 15
# February), so both scales show the same week. str.format indexes strings but
# cannot slice them: "YYYY-MM-" is rebuilt from month_first one character at a time.
WEEK = "reports:week"
UTILIZATION = "reports:utilization"
BENCH_MONTH_10TH = "".join(f"{{month_first[{i}]}}" for i in range(8)) + "10"
BENCH_MONTH_PERIOD = {"date_from": "{month_first}", "date_to": "{month_last}"}

PAGES = [
    Page("appointments", APPOINTMENTS, {}),
    Page("appointments: therapist + month", APPOINTMENTS, {**BY_THERAPIST, **MONTH}),
    Page("appointments: search last name", APPOINTMENTS, SEARCH),
    # Filtered to one client (the access log records the view: one insert), in the bench
    # month so both scales list the same sessions.
    Page(
        "appointments: one client + month",
        APPOINTMENTS,
        {"billing_client__id__exact": "{client}", **MONTH},
    ),
    Page(
        "appointments: payer + status",
        APPOINTMENTS,
        {"payer": "{payer}", "status__exact": "completed"},
    ),
    Page("clients", CLIENTS, {}),
    Page("clients: therapist", CLIENTS, {"primary_therapist__id__exact": "{therapist}"}),
    Page("clients: search last name", CLIENTS, SEARCH),
    Page("authorizations", AUTHORIZATIONS, {}),
    Page(
        "authorizations: payer + expiry month",
        AUTHORIZATIONS,
        {"payer__id__exact": "{payer}", **EXPIRY_MONTH},
    ),
    Page("authorizations: search last name", AUTHORIZATIONS, SEARCH),
    Page("therapists: one therapist's clients", THERAPIST_CASELOAD, {}, args=("{therapist}",)),
    Page("bad fit list", BAD_FIT, {}),
    Page("bad fit list: search last name", BAD_FIT, SEARCH),
    Page("reports: therapist week", WEEK, {"therapist": "{therapist}", "week": BENCH_MONTH_10TH}),
    Page("reports: room utilization, month", UTILIZATION, BENCH_MONTH_PERIOD),
    Page("invoices", INVOICES, {}),
    # INV-2026-00700 to 00709: the bench day's year holds them at both scales (a fragment
    # without the year finds one number a year, i.e. more rows at 500k).
    Page("invoices: number fragment", INVOICES, {"q": "2026-0070"}),
    # Billing's own history: a month of payments, receipts and statements at 5k (January),
    # five years at 500k.
    Page("payments", PAYMENTS, {}),
    Page("receipts", RECEIPTS, {}),
    Page("statements", STATEMENTS, {}),
    # The therapist portal, as {therapist} on the bench day (measure.BENCH_CLOCK). Colour
    # "normal" fills a page at both scales (red and pink clients come with history). The
    # schedule's week is the bench week, which both databases hold (upcoming weeks only the
    # 500k one). The client page draws one past session a page, as the statements list one
    # statement (the 5k therapist has one, January): the same rows at both scales, the
    # history behind them at 500k.
    *[
        Page(f"portal: {name}", url, params, user="therapist", args=args, bars=bars)
        for name, url, params, args, bars in [
            ("alerts (home)", "portal:home", {}, (), LIST_PAGE),
            ("my clients", "portal:clients", {}, (), LIST_PAGE),
            ("my clients: colour", "portal:clients", {"colour": "normal"}, (), LIST_PAGE),
            ("my clients: payer", "portal:clients", {"payer": "{payer}"}, (), LIST_PAGE),
            ("my clients: search", "portal:clients", {"name": "{last_name}"}, (), LIST_PAGE),
            ("client page", "portal:client", {"per_page": "1"}, ("{client}",), RECORD_PAGE),
            ("schedule: this week", "portal:schedule", {"period": "week"}, (), LIST_PAGE),
            ("schedule: past", "portal:schedule", {"period": "past"}, (), LIST_PAGE),
            ("week", "portal:week", {"week": BENCH_MONTH_10TH}, (), LIST_PAGE),
            ("rooms", "portal:rooms", {}, (), LIST_PAGE),
            ("my statements", "portal:statements", {"per_page": "1"}, (), LIST_PAGE),
        ]
    ],
    Page("worklist: home page", HOME, {}, bars=WORKLIST_HOME),
    Page("worklist: tasks", TASKS, {}, bars=WORKLIST_LIST),
]
