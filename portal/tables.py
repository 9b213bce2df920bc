import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.billing.models import BillTo
from backoffice.billing.selectors import ClientStatus
from backoffice.caseload.models import Client
from backoffice.documents.formatting import day, money, month
from backoffice.payouts.models import Statement
from backoffice.scheduling.models import Appointment, AppointmentStatus

# On a phone each row is a card; each cell says which column it is.
CARD_ATTRS = {"class": "table", "td": {"data-label": lambda bound_column: bound_column.header}}


def colour_badge(status: str, label: str):
    return format_html('<span class="badge badge-{}">{}</span>', status, label)


def session_place(appointment: Appointment) -> str:
    if appointment.room_id:
        return f"{appointment.room.site.name} · {appointment.room.name}"
    return str(appointment.get_attendance_display())


class ClientTable(tables.Table):
    """The therapist's clients with their colour and the authorization in force (or the
    latest): `authorization_list` comes from billing's `clients_with_authorizations`."""

    name = tables.Column(
        verbose_name=_("Client"), accessor="last_name", order_by=("last_name", "first_name")
    )
    status = tables.Column(verbose_name=_("Colour"), orderable=False)
    kind = tables.Column(verbose_name=_("Payment source"))
    payer = tables.Column(verbose_name=_("Payer"), accessor="pk", orderable=False)
    sessions = tables.Column(
        verbose_name=_("Approved · used · billed · left"), accessor="pk", orderable=False
    )
    valid_until = tables.Column(verbose_name=_("Expires"), accessor="pk", orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = Client
        fields = ["name", "status", "kind", "payer", "sessions", "valid_until", "is_active"]
        attrs = CARD_ATTRS
        row_attrs = {"class": lambda record: f"row-{record.status}"}
        empty_text = _("No clients match.")

    @staticmethod
    def _shown(record):
        return record.authorization_list[0] if record.authorization_list else None

    def render_name(self, record):
        url = reverse("portal:client", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.listed_name)

    def render_status(self, record):
        return colour_badge(record.status, ClientStatus(record.status).label)

    def render_payer(self, record):
        shown = self._shown(record)
        return shown.payer.name if shown else "—"

    def render_sessions(self, record):
        shown = self._shown(record)
        if shown is None:
            return "—"
        return (
            f"{shown.sessions_approved} · {shown.sessions_used_count} · "
            f"{shown.sessions_billed_count} · {shown.sessions_remaining_count}"
        )

    def render_valid_until(self, record):
        shown = self._shown(record)
        return day(shown.valid_until) if shown else "—"


class SessionTable(tables.Table):
    """The therapist's sessions; a scheduled one has its attendance link."""

    starts_at = tables.Column(verbose_name=_("When"), orderable=False)
    client = tables.Column(verbose_name=_("Client"), accessor="billing_client", orderable=False)
    service_type = tables.Column(verbose_name=_("Service"), orderable=False)
    place = tables.Column(verbose_name=_("Where"), accessor="pk", orderable=False)
    status = tables.Column(verbose_name=_("Status"), orderable=False)
    record = tables.Column(verbose_name=_("Attendance"), accessor="pk", orderable=False)

    class Meta:
        model = Appointment
        fields = ["starts_at", "client", "service_type", "place", "status", "record"]
        attrs = CARD_ATTRS
        empty_text = _("No sessions.")

    def render_starts_at(self, record):
        start = timezone.localtime(record.starts_at)
        return f"{day(start.date())} {start:%H:%M}–{timezone.localtime(record.ends_at):%H:%M}"

    def render_client(self, record):
        url = reverse("portal:client", args=[record.billing_client_id])
        return format_html('<a href="{}">{}</a>', url, record.billing_client.listed_name)

    def render_place(self, record):
        return session_place(record)

    def render_status(self, record):
        return colour_badge(record.status, record.get_status_display())

    def render_record(self, record):
        if record.status != AppointmentStatus.SCHEDULED:
            return "—"
        url = reverse("portal:attendance", args=[record.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Record"))


class ClientSessionTable(SessionTable):
    """One client's sessions with the therapist, with what billing says of each."""

    billed = tables.Column(verbose_name=_("Billed to"), accessor="bill_to", orderable=False)
    paid = tables.Column(verbose_name=_("Payment"), accessor="is_paid", orderable=False)

    class Meta(SessionTable.Meta):
        fields = ["starts_at", "service_type", "status", "billed", "paid", "record"]
        exclude = ["client", "place"]

    def render_billed(self, record):
        return BillTo(record.bill_to).label

    def render_paid(self, record):
        if record.bill_to == BillTo.NOT_BILLED:
            return "—"
        if record.is_paid:
            return _("Paid")
        if record.issued_invoice:
            return _("Invoiced %(number)s") % {"number": record.issued_invoice}
        return _("Not paid")


class StatementTable(tables.Table):
    period_start = tables.Column(verbose_name=_("Month"))
    net_amount = tables.Column(verbose_name=_("Net payable"))
    held_count = tables.Column(verbose_name=_("Sessions held"))
    pdf = tables.Column(verbose_name=_("PDF"), accessor="pk", orderable=False)

    class Meta:
        model = Statement
        fields = [
            "period_start",
            "status",
            "paid_count",
            "net_amount",
            "held_count",
            "sent_on",
            "paid_on",
            "payout_reference",
            "pdf",
        ]
        attrs = CARD_ATTRS
        orderable = False
        empty_text = _("No statement yet.")

    def render_period_start(self, value):
        return month(value)

    def render_net_amount(self, value):
        return money(value)

    def render_pdf(self, value):
        url = reverse("portal:statement_pdf", args=[value])
        return format_html('<a href="{}">{}</a>', url, _("Download"))
