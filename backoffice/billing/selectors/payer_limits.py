"""Payer limits: which sessions billed to a payer fit their authorization, and which the
month run sets aside for staff to decide (bill the client, extend, write off).

Per authorization, the sessions the payer rules bill to its payer (billing.sessions) are
taken in date order after those already on a live line: a missed session past the payer's
cap (`missed_sessions_billable_count`) is not billed at all; every other one takes the next
of the approved sessions, and is set aside when that is past `sessions_approved`, or when it
took place after `valid_until`. Authorization usage counts by the same rule (caseload
selectors), so used = billed + still billable (those billable now or set aside).

`payer_limits_apply` is the rule; `payer_limits_for_month` reads what it needs in a constant
number of queries for the month run (billing.services.invoice_run), and the staff lists below
read it for the admin (selectors a worklist rule can call).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from backoffice.billing.models import (
    BILLABLE_STATUSES,
    BillTo,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SetAsideReason,
)
from backoffice.billing.selectors.sessions import session_bill_to
from backoffice.caseload.models import Authorization, Client, Payer, Therapist
from backoffice.scheduling.models import MISSED_STATUSES, Appointment
from backoffice.zone_data import local_midnight, month_bounds

BILLABLE = "billable"
OVER_MISSED_CAP = "over-missed-cap"
# Sessions whose payer deadline falls within this many days are listed.
DEADLINE_WARNING_DAYS = 14


@dataclass(frozen=True)
class PayerSession:
    """A session the payer rules bill to its authorization's payer, not on a live line."""

    appointment_id: int
    authorization_id: int
    service_date: date
    missed: bool


@dataclass(frozen=True)
class AuthorizationLimits:
    sessions_approved: int
    valid_until: date
    missed_cap: int | None
    billed_count: int  # sessions on live lines charged to it
    billed_missed_count: int


@dataclass(frozen=True)
class LimitOutcome:
    """What the rule says of one session: BILLABLE, OVER_MISSED_CAP or a SetAsideReason, and
    what an extension of its authorization needs to bill it: at least `place` sessions
    approved, valid until `service_date` at least."""

    outcome: str
    place: int
    service_date: date

    @property
    def is_set_aside(self) -> bool:
        return self.outcome in SetAsideReason.values


def payer_limits_apply(
    *, sessions: Iterable[PayerSession], limits: dict[int, AuthorizationLimits]
) -> dict[int, LimitOutcome]:
    """The rule, for `sessions` given in date order: {appointment id: LimitOutcome}."""
    taken = {pk: limit.billed_count for pk, limit in limits.items()}
    missed_taken = {pk: limit.billed_missed_count for pk, limit in limits.items()}
    outcomes = {}
    for session in sessions:
        limit = limits[session.authorization_id]
        place = taken[session.authorization_id] + 1
        if session.missed:
            if limit.missed_cap is not None and missed_taken[session.authorization_id] >= (
                limit.missed_cap
            ):
                outcomes[session.appointment_id] = LimitOutcome(
                    OVER_MISSED_CAP, place, session.service_date
                )
                continue
            missed_taken[session.authorization_id] += 1
        taken[session.authorization_id] = place
        if session.service_date > limit.valid_until:
            outcome = SetAsideReason.AFTER_EXPIRY
        elif place > limit.sessions_approved:
            outcome = SetAsideReason.OVER_APPROVED
        else:
            outcome = BILLABLE
        outcomes[session.appointment_id] = LimitOutcome(outcome, place, session.service_date)
    return outcomes


# --- What the rule reads --------------------------------------------------------------------


def _live_line():
    return InvoiceLine.objects.filter(appointment=OuterRef("pk"), is_void=False)


def payer_sessions_unbilled(queryset: QuerySet[Appointment] | None = None) -> QuerySet:
    """Completed and missed sessions the payer rules bill to a payer, not on a live line."""
    queryset = Appointment.objects.all() if queryset is None else queryset
    return (
        queryset.filter(status__in=BILLABLE_STATUSES)
        .alias(bill_to=session_bill_to())
        .filter(bill_to=BillTo.PAYER)
        .exclude(Exists(_live_line()))
    )


def month_sessions_unbilled(month: date) -> QuerySet[Appointment]:
    """The month's completed and missed sessions not on a live line, each with `bill_to` (who
    the payer rules bill it to): what the month run reads (billing.services.invoice_run)."""
    first, last = month_bounds(month)
    return (
        Appointment.objects.filter(
            starts_at__gte=local_midnight(first),
            starts_at__lt=local_midnight(last + timedelta(days=1)),
            status__in=BILLABLE_STATUSES,
        )
        .exclude(Exists(_live_line()))
        .annotate(bill_to=session_bill_to())
    )


def month_sessions_not_invoiced(month: date) -> QuerySet[Appointment]:
    """The month's sessions a month run still has to bill: unbilled, billed to a payer or a
    client. Sessions set aside at a payer's limits count (a run bills them once staff
    decide); a missed session whose authorization already has the payer's cap of missed
    sessions on live lines does not (no run ever bills it: `payer_limits_apply`)."""
    over_missed_cap = Q(
        bill_to=BillTo.PAYER,
        status__in=MISSED_STATUSES,
        authorization__payer__missed_sessions_billable_count__isnull=False,
        billed_missed__gte=F("authorization__payer__missed_sessions_billable_count"),
    )
    return (
        month_sessions_unbilled(month)
        .filter(bill_to__in=(BillTo.PAYER, BillTo.CLIENT))
        .alias(billed_missed=_billed(missed=True, authorization="authorization_id"))
        .exclude(over_missed_cap)
    )


def _billed(missed: bool, authorization: str = "pk") -> Coalesce:
    # Sessions on live lines charged to the authorization (`authorization`: its id's path from
    # the outer row), only the missed ones when `missed`.
    lines = InvoiceLine.objects.filter(
        authorization=OuterRef(authorization), is_void=False, appointment__isnull=False
    )
    if missed:
        lines = lines.filter(appointment__status__in=MISSED_STATUSES)
    counted = lines.order_by().values("authorization").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def authorization_limits(authorization_ids) -> dict[int, AuthorizationLimits]:
    """The limits of these authorizations (ids or a subquery of ids): one query."""
    rows = (
        Authorization.objects.filter(pk__in=authorization_ids)
        .annotate(billed=_billed(missed=False), billed_missed=_billed(missed=True))
        .values_list(
            "pk",
            "sessions_approved",
            "valid_until",
            "payer__missed_sessions_billable_count",
            "billed",
            "billed_missed",
        )
    )
    return {pk: AuthorizationLimits(*values) for pk, *values in rows}


def payer_sessions(rows: Iterable[tuple]) -> list[PayerSession]:
    """(appointment id, authorization id, starts_at, status) rows as PayerSessions."""
    zone = timezone.get_current_timezone()
    return [
        PayerSession(pk, authorization_id, starts_at.astimezone(zone).date(), status in MISSED)
        for pk, authorization_id, starts_at, status in rows
    ]


MISSED = frozenset(MISSED_STATUSES)
SESSION_COLUMNS = ("pk", "authorization_id", "starts_at", "status")


def payer_limits_for_month(
    *, rows: list[tuple], first: date, authorization_ids
) -> dict[int, LimitOutcome]:
    """The rule for a month run: `rows` are the month's sessions billed to payers
    (SESSION_COLUMNS, in date order), `authorization_ids` their authorizations (a subquery);
    earlier unbilled sessions of those come first. Two queries, whatever the month holds."""
    limits = authorization_limits(authorization_ids)
    earlier = payer_sessions_unbilled(
        Appointment.objects.filter(
            authorization_id__in=authorization_ids, starts_at__lt=local_midnight(first)
        )
    ).order_by("starts_at", "pk")
    sessions = payer_sessions([*earlier.values_list(*SESSION_COLUMNS), *rows])
    return payer_limits_apply(sessions=sessions, limits=limits)


# --- The staff lists ------------------------------------------------------------------------


@dataclass
class SetAsideSession:
    """A session set aside at its payer's limits, as staff see it."""

    appointment_id: int
    service_date: date
    status: str
    client_name: str
    therapist_name: str
    payer_name: str
    authorization_id: int
    reference_number: str
    sessions_approved: int
    valid_until: date
    reason: str
    needed_sessions_approved: int
    needed_valid_until: date

    @property
    def reason_label(self) -> str:
        return SetAsideReason(self.reason).label


def invoicing_first_month() -> date | None:
    """The first month invoiced in Caseload (go-live): older sessions were settled before."""
    return Invoice.objects.aggregate(first=Min("period_start"))["first"]


def sessions_set_aside(
    *, payer: Payer | None = None, authorization_ids: Collection[int] | None = None
) -> list[SetAsideSession]:
    """Sessions since go-live the month run sets aside (past their authorization's approved
    sessions or expiry), oldest first, each with what an extension needs; of one payer's or
    of these authorizations only, if told. Three queries."""
    go_live = invoicing_first_month()
    if go_live is None:
        return []
    recent = payer_sessions_unbilled(
        Appointment.objects.filter(starts_at__gte=local_midnight(go_live))
    )
    if payer is not None:
        recent = recent.filter(authorization__payer=payer)
    if authorization_ids is not None:
        recent = recent.filter(authorization_id__in=list(authorization_ids))
    authorizations = recent.values("authorization_id")
    candidates = payer_sessions_unbilled(
        Appointment.objects.filter(authorization_id__in=authorizations)
    ).order_by("starts_at", "pk")
    details = list(
        candidates.values_list(
            *SESSION_COLUMNS,
            "billing_client__last_name",
            "billing_client__first_name",
            "therapist__first_name",
            "therapist__last_name",
            "authorization__payer__name",
            "authorization__reference_number",
        )
    )
    limits = authorization_limits({row[1] for row in details})
    outcomes = payer_limits_apply(
        sessions=payer_sessions(row[:4] for row in details), limits=limits
    )
    set_aside = []
    for (
        pk,
        authorization_id,
        _starts_at,
        status,
        last,
        first,
        t_first,
        t_last,
        payer_name,
        ref,
    ) in details:
        outcome = outcomes[pk]
        if not outcome.is_set_aside or outcome.service_date < go_live:
            continue
        limit = limits[authorization_id]
        set_aside.append(
            SetAsideSession(
                appointment_id=pk,
                service_date=outcome.service_date,
                status=status,
                client_name=Client(first_name=first, last_name=last).listed_name,
                therapist_name=Therapist(first_name=t_first, last_name=t_last).full_name,
                payer_name=payer_name,
                authorization_id=authorization_id,
                reference_number=ref,
                sessions_approved=limit.sessions_approved,
                valid_until=limit.valid_until,
                reason=outcome.outcome,
                needed_sessions_approved=max(outcome.place, limit.sessions_approved),
                needed_valid_until=max(outcome.service_date, limit.valid_until),
            )
        )
    return set_aside


def session_set_aside(*, appointment: Appointment) -> LimitOutcome | None:
    """Whether the month run sets this session aside now (its LimitOutcome), else None."""
    if appointment.authorization_id is None:
        return None
    unbilled = payer_sessions_unbilled(
        Appointment.objects.filter(authorization_id=appointment.authorization_id)
    ).order_by("starts_at", "pk")
    outcomes = payer_limits_apply(
        sessions=payer_sessions(unbilled.values_list(*SESSION_COLUMNS)),
        limits=authorization_limits([appointment.authorization_id]),
    )
    outcome = outcomes.get(appointment.pk)
    return outcome if outcome is not None and outcome.is_set_aside else None


@dataclass
class DeadlineSession:
    appointment_id: int
    service_date: date
    deadline: date
    days_left: int
    client_name: str
    payer_name: str
    reference_number: str
    draft_invoice_id: int | None  # the draft that bills it, not issued yet


def submission_deadline(*, starts_at, days: int) -> date:
    """The last day a session can be submitted: `days` after its Vancouver service date."""
    return timezone.localdate(starts_at) + timedelta(days=days)


def _sessions_near_submission_deadline(*, on: date, within_days: int) -> QuerySet[Appointment]:
    """The rule: sessions billed to payers with a submission deadline that falls between `on`
    and `within_days` later, not yet on an issued invoice. One query reads the payers'
    deadlines, so each payer's window is a range of `starts_at` (the index)."""
    deadlines = Payer.objects.filter(submission_deadline_days__isnull=False).values_list(
        "pk", "submission_deadline_days"
    )
    windows = Q()
    for payer_id, days in deadlines:
        first_day = on - timedelta(days=days)
        windows |= Q(
            authorization__payer_id=payer_id,
            starts_at__gte=local_midnight(first_day),
            starts_at__lt=local_midnight(first_day + timedelta(days=within_days + 1)),
        )
    if not windows:
        return Appointment.objects.none()
    issued = InvoiceLine.objects.filter(
        appointment=OuterRef("pk"), is_void=False, invoice__status=InvoiceStatus.ISSUED
    )
    return (
        Appointment.objects.filter(windows, status__in=BILLABLE_STATUSES)
        .alias(bill_to=session_bill_to())
        .filter(bill_to=BillTo.PAYER)
        .exclude(Exists(issued))
    )


def sessions_near_submission_deadline(
    *, on: date | None = None, within_days: int = DEADLINE_WARNING_DAYS
) -> list[DeadlineSession]:
    """Sessions billed to payers with a submission deadline (`submission_deadline_days` after
    the service) that falls between `on` (today) and `within_days` later, not yet on an issued
    invoice: submit them before they can no longer be billed. Soonest first; two queries."""
    on = on or timezone.localdate()
    draft = InvoiceLine.objects.filter(
        appointment=OuterRef("pk"), is_void=False, invoice__status=InvoiceStatus.DRAFT
    )
    rows = (
        _sessions_near_submission_deadline(on=on, within_days=within_days)
        .annotate(draft_id=Subquery(draft.values("invoice_id")[:1]))
        .order_by("starts_at", "pk")
        .values_list(
            "pk",
            "starts_at",
            "authorization__payer__submission_deadline_days",
            "billing_client__last_name",
            "billing_client__first_name",
            "authorization__payer__name",
            "authorization__reference_number",
            "draft_id",
        )
    )
    zone = timezone.get_current_timezone()
    listed = []
    for pk, starts_at, days, last, first, payer_name, reference, draft_id in rows:
        deadline = submission_deadline(starts_at=starts_at, days=days)
        listed.append(
            DeadlineSession(
                appointment_id=pk,
                service_date=timezone.localdate(starts_at, zone),
                deadline=deadline,
                days_left=(deadline - on).days,
                client_name=Client(first_name=first, last_name=last).listed_name,
                payer_name=payer_name,
                reference_number=reference,
                draft_invoice_id=draft_id,
            )
        )
    return listed


def payers_near_submission_deadline(
    *, on: date | None = None, within_days: int = DEADLINE_WARNING_DAYS
) -> QuerySet:
    """The same sessions as `sessions_near_submission_deadline`, one row per payer:
    `authorization__payer_id`, its name and `submission_deadline_days`, `session_count` and
    `first_starts_at` (the earliest session: `submission_deadline` gives the earliest
    deadline). Two queries."""
    return (
        _sessions_near_submission_deadline(on=on or timezone.localdate(), within_days=within_days)
        .order_by()
        .values(
            "authorization__payer_id",
            "authorization__payer__name",
            "authorization__payer__submission_deadline_days",
        )
        .annotate(session_count=Count("pk"), first_starts_at=Min("starts_at"))
    )
