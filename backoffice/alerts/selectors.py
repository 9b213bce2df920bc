"""What needs a therapist now: their alerts (docs/rules.md, Therapists' alerts).

Read in two steps, so one read serves any number of therapists and each is worded in its
reader's language: the facts (`AlertFacts`, no words, two queries for any number of clients)
and the alert (`AlertFacts.alert()`, its title in the active language). The authorization
alerts read `billing.selectors.authorizations_with_usage` with the thresholds of staff's
worklist rule (TASK_AUTHORIZATION_SESSIONS_LEFT, TASK_AUTHORIZATION_EXPIRY_DAYS), so a
therapist's alert and staff's renewal task never disagree.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.alerts.models import KIND_ORDER, AlertKind
from backoffice.billing.selectors import authorizations_with_usage
from backoffice.caseload.models import Authorization, Client, Therapist
from backoffice.caseload.selectors import clients_of_therapist
from backoffice.documents.formatting import day
from backoffice.messaging.models import OutboxMessage
from backoffice.scheduling.models import BadFitEntry, BadFitReason

# At most this many sessions left: the next session is the last one the payer approved (or
# none is left), whatever the running-out threshold says.
LAST_SESSION_LEFT = 1


@dataclass(frozen=True)
class Alert:
    """One thing that needs the therapist, worded in the language active when it was made."""

    kind: AlertKind
    client_id: int
    client_name: str  # the client's listed name, "Last, First"
    authorization_id: int | None
    payer_name: str  # "" for Bad Fit
    title: str  # one line, e.g. "2 sessions left (Pacific Mutual, claim PMI-1234), until …"
    requirements: str  # the payer's renewal requirements, for the running-out kinds
    since: date | None  # the renewal's submission day, the Bad Fit entry's opening day


@dataclass(frozen=True)
class AlertFacts:
    """An alert before it is put in words: what was read, in no language."""

    kind: AlertKind
    therapist_id: int
    client_id: int
    client_name: str
    authorization_id: int | None = None
    payer_name: str = ""
    reference_number: str = ""
    sessions_approved: int | None = None
    sessions_left: int | None = None
    valid_until: date | None = None
    requirements: str = ""
    since: date | None = None
    bad_fit_reason: str = ""

    def alert(self) -> Alert:
        """The alert, its title in the active language."""
        return Alert(
            kind=self.kind,
            client_id=self.client_id,
            client_name=self.client_name,
            authorization_id=self.authorization_id,
            payer_name=self.payer_name,
            title=self._title(),
            requirements=self.requirements,
            since=self.since,
        )

    def sort_key(self) -> tuple:
        return (
            KIND_ORDER[self.kind],
            self.client_name.casefold(),
            self.client_id,
            self.authorization_id or 0,
        )

    def _title(self) -> str:
        where = {
            "payer": self.payer_name,
            "reference": self.reference_number,
            "until": day(self.valid_until),
        }
        if self.kind == AlertKind.RUNNING_OUT:
            return ngettext(
                "%(count)d session left (%(payer)s, claim %(reference)s), until %(until)s",
                "%(count)d sessions left (%(payer)s, claim %(reference)s), until %(until)s",
                self.sessions_left,
            ) % {"count": self.sessions_left, **where}
        if self.kind == AlertKind.LAST_SESSION and self.sessions_left:
            return (
                _(
                    "1 session left: the next one is the last approved "
                    "(%(payer)s, claim %(reference)s), until %(until)s"
                )
                % where
            )
        if self.kind == AlertKind.LAST_SESSION:
            return _("No approved session left (%(payer)s, claim %(reference)s)") % where
        if self.kind == AlertKind.RENEWAL_WAITING:
            return _("Renewal sent %(day)s, waiting for %(payer)s (claim %(reference)s)") % {
                "day": day(self.since),
                **where,
            }
        return _("On the Bad Fit list since %(day)s: %(reason)s") % {
            "day": day(self.since),
            "reason": BadFitReason(self.bad_fit_reason).label,
        }


def _listed_name(first_name: str, last_name: str) -> str:
    return Client(first_name=first_name, last_name=last_name).listed_name


def _authorizations_alerting(clients: QuerySet[Client], today: date) -> QuerySet[Authorization]:
    """The authorizations of these clients (active ones only) that make an alert: one alert
    each, its kind from `renewal_submitted_at` and the sessions left (`_authorization_facts`).

    Running out (or last session): in force, no renewal submitted, at most
    TASK_AUTHORIZATION_SESSIONS_LEFT (or LAST_SESSION_LEFT) sessions left or ending within
    TASK_AUTHORIZATION_EXPIRY_DAYS. Renewal waiting: documents submitted, no extension yet
    (an extension clears the submission) and no later authorization from the same payer for
    the client (the payer's other answer, as staff's worklist reads it), in force or ended
    within TASK_AUTHORIZATION_EXPIRY_DAYS.
    """
    sessions_left = max(settings.TASK_AUTHORIZATION_SESSIONS_LEFT, LAST_SESSION_LEFT)
    expiry_from = today + timedelta(days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS)
    running_out = Q(renewal_submitted_at__isnull=True, valid_until__gte=today) & (
        Q(sessions_remaining_count__lte=sessions_left) | Q(valid_until__lte=expiry_from)
    )
    answered = Authorization.objects.filter(
        client=OuterRef("client"), payer=OuterRef("payer"), valid_from__gt=OuterRef("valid_from")
    )
    waiting = Q(renewal_submitted_at__isnull=False) & ~Exists(answered)
    # Both kinds: begun, and in force or ended lately; the usage is read for these rows only.
    recent = Authorization.objects.filter(
        client__in=clients.filter(is_active=True),
        valid_from__lte=today,
        valid_until__gte=today - timedelta(days=settings.TASK_AUTHORIZATION_EXPIRY_DAYS),
    )
    return authorizations_with_usage(recent).filter(running_out | waiting)


def _bad_fit_open(clients: QuerySet[Client]) -> QuerySet[BadFitEntry]:
    """The open Bad Fit entries of these clients (active ones only): one a client at most."""
    return BadFitEntry.objects.filter(
        client__in=clients.filter(is_active=True), resolved_at__isnull=True
    )


def _authorization_facts(authorizations: QuerySet[Authorization]) -> list[AlertFacts]:
    rows = authorizations.values(
        "pk",
        "client_id",
        "client__first_name",
        "client__last_name",
        "client__primary_therapist_id",
        "payer__name",
        "payer__renewal_requirements",
        "reference_number",
        "sessions_approved",
        "valid_until",
        "renewal_submitted_at",
        "sessions_remaining_count",
    )
    facts = []
    for row in rows:
        left = row["sessions_remaining_count"]
        submitted = row["renewal_submitted_at"]
        if submitted is not None:
            kind = AlertKind.RENEWAL_WAITING
        elif left <= LAST_SESSION_LEFT:
            kind = AlertKind.LAST_SESSION
        else:
            kind = AlertKind.RUNNING_OUT
        facts.append(
            AlertFacts(
                kind=kind,
                therapist_id=row["client__primary_therapist_id"],
                client_id=row["client_id"],
                client_name=_listed_name(row["client__first_name"], row["client__last_name"]),
                authorization_id=row["pk"],
                payer_name=row["payer__name"],
                reference_number=row["reference_number"],
                sessions_approved=row["sessions_approved"],
                sessions_left=left,
                valid_until=row["valid_until"],
                # What the payer asks for a renewal: the therapist's next step while running
                # out; once the documents went, the payer's answer is awaited.
                requirements="" if submitted else row["payer__renewal_requirements"],
                since=timezone.localdate(submitted) if submitted else None,
            )
        )
    return facts


def _bad_fit_facts(entries: QuerySet[BadFitEntry]) -> list[AlertFacts]:
    rows = entries.values(
        "client_id",
        "client__first_name",
        "client__last_name",
        "client__primary_therapist_id",
        "opened_at",
        "reason",
    )
    return [
        AlertFacts(
            kind=AlertKind.BAD_FIT,
            therapist_id=row["client__primary_therapist_id"],
            client_id=row["client_id"],
            client_name=_listed_name(row["client__first_name"], row["client__last_name"]),
            since=timezone.localdate(row["opened_at"]),
            bad_fit_reason=row["reason"],
        )
        for row in rows
    ]


def alert_facts_of_clients(*, clients: QuerySet[Client], today: date) -> list[AlertFacts]:
    """The alerts of these clients (deactivated ones never), in no language, in the order they
    are listed: last session, running out, renewal waiting, Bad Fit, then client name. Two
    queries, whatever the number of clients."""
    facts = _authorization_facts(_authorizations_alerting(clients, today))
    facts += _bad_fit_facts(_bad_fit_open(clients))
    return sorted(facts, key=AlertFacts.sort_key)


def alert_facts_by_therapist(
    *, therapists: QuerySet[Therapist], today: date
) -> dict[int, list[AlertFacts]]:
    """Each of these therapists' alert facts (their own clients: those whose primary therapist
    they are, as `clients_of_therapist` reads it), by therapist id; therapists with none are
    left out. Two queries, whatever the number of therapists."""
    clients = Client.objects.filter(primary_therapist__in=therapists)
    by_therapist: dict[int, list[AlertFacts]] = {}
    for facts in alert_facts_of_clients(clients=clients, today=today):
        by_therapist.setdefault(facts.therapist_id, []).append(facts)
    return by_therapist


def last_session_facts(
    *, today: date, authorization_ids: list[int] | None = None
) -> list[AlertFacts]:
    """The last-session alerts of active therapists (optionally of these authorizations
    only). One query."""
    clients = Client.objects.filter(primary_therapist__is_active=True)
    authorizations = _authorizations_alerting(clients, today)
    if authorization_ids is not None:
        authorizations = authorizations.filter(pk__in=authorization_ids)
    return [
        facts
        for facts in _authorization_facts(authorizations)
        if facts.kind == AlertKind.LAST_SESSION
    ]


def therapist_alerts(*, therapist: Therapist, today: date | None = None) -> list[Alert]:
    """What needs the therapist now, about their own active clients, worded in the active
    language and listed most urgent first. Two queries, whatever the number of clients."""
    today = today or timezone.localdate()
    clients = clients_of_therapist(therapist=therapist)
    return [facts.alert() for facts in alert_facts_of_clients(clients=clients, today=today)]


def therapist_alert_count_expression(*, therapist: Therapist, today: date | None = None):
    """`therapist_alert_count` as an SQL expression, for a page to read it in a query it runs
    anyway (the portal's client page)."""
    today = today or timezone.localdate()
    clients = clients_of_therapist(therapist=therapist)

    def counted(rows: QuerySet):
        count = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
        return Coalesce(Subquery(count[:1]), Value(0))

    return counted(_authorizations_alerting(clients, today)) + counted(_bad_fit_open(clients))


def therapist_alert_count(*, therapist: Therapist, today: date | None = None) -> int:
    """How many alerts `therapist_alerts` lists (the portal header's badge): one query
    reading only the ids of the same rows (a handful: one therapist's)."""
    today = today or timezone.localdate()
    clients = clients_of_therapist(therapist=therapist)
    authorizations = _authorizations_alerting(clients, today).order_by().values("pk")
    entries = _bad_fit_open(clients).order_by().values("pk")
    return len(authorizations.union(entries, all=True))


def dedupe_keys_queued(*, keys: list[str]) -> set[str]:
    """Which of these outbox dedupe keys were already queued (the email went, or is going)."""
    if not keys:
        return set()
    return set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
