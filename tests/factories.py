"""factory_boy factories: synthetic people only."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from axes.models import AccessAttempt, AccessLog
from django.utils import timezone

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.accounts.models import TwoFactorReset, User
from backoffice.billing.models import (
    DocumentCounter,
    DocumentSeries,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Receipt,
)
from backoffice.caseload.models import (
    Authorization,
    Client,
    ClientKind,
    ClientStatusAction,
    ClientStatusRequest,
    Designation,
    Modality,
    Payer,
    PayerKind,
    PayerRate,
    ServiceKind,
    ServiceType,
    Therapist,
    TherapistRate,
)
from backoffice.messaging.models import Channel, OutboxMessage, Purpose
from backoffice.payouts.models import Statement, StatementLine
from backoffice.privacy.models import Breach, PrivacyRequest
from backoffice.scheduling.models import (
    Appointment,
    AppointmentSeries,
    BadFitEntry,
    BadFitReason,
    Frequency,
    Room,
    RoomReservation,
    Site,
)
from backoffice.worklist.models import RuleKey, Task


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.django.Password(None)


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ["code"]

    code = "individual-session"
    name = "Individual session"
    name_fr = "Séance individuelle"
    kind = ServiceKind.SESSION
    modality = Modality.INDIVIDUAL
    default_fee_amount = Decimal("160.00")


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist

    user = factory.SubFactory(UserFactory)
    first_name = factory.Sequence(lambda n: f"Hélène{n}")
    last_name = factory.Sequence(lambda n: f"Côté{n}")
    email = factory.Sequence(lambda n: f"therapist{n}@example.test")
    designation = Designation.PSYCHOLOGIST
    registration_number = factory.Sequence(lambda n: f"R{n:05d}")


class TherapistRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TherapistRate

    therapist = factory.SubFactory(TherapistFactory)
    effective_from = date(2026, 1, 1)
    session_price_amount = Decimal("120.00")
    service_fee_kind = "percent"
    service_fee_value = Decimal("30.00")


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Pacific Mutual {n}")
    kind = PayerKind.INSURER
    billing_email = factory.Sequence(lambda n: f"claims{n}@payer.example")
    billing_address = "100 Example Street\nVancouver BC"


class PayerRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayerRate

    payer = factory.SubFactory(PayerFactory)
    service_type = factory.SubFactory(ServiceTypeFactory)
    effective_from = date(2026, 1, 1)
    amount = Decimal("150.00")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    kind = ClientKind.DIRECT
    first_name = factory.Sequence(lambda n: f"François{n}")
    last_name = factory.Sequence(lambda n: f"Lévesque{n}")
    date_of_birth = date(1985, 4, 12)
    email = factory.Sequence(lambda n: f"client{n}@example.test")
    primary_therapist = factory.SubFactory(TherapistFactory)


class AuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorization

    client = factory.SubFactory(ClientFactory, kind=ClientKind.INDIRECT)
    payer = factory.SubFactory(PayerFactory)
    reference_number = factory.Sequence(lambda n: f"CLM-{n:06d}")
    sessions_approved = 12
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))


class ClientStatusRequestFactory(factory.django.DjangoModelFactory):
    """A therapist's pending request to deactivate one of their clients."""

    class Meta:
        model = ClientStatusRequest

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SelfAttribute("client.primary_therapist")
    action = ClientStatusAction.DEACTIVATE
    reason = "Treatment plan completed; no further sessions."


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    address = "200 Example Avenue, Vancouver BC"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class RoomReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomReservation

    room = factory.SubFactory(RoomFactory)
    therapist = factory.SubFactory(TherapistFactory)
    weekday = 0
    start_time = "09:00"
    end_time = "13:00"
    valid_from = date(2026, 1, 1)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    therapist = factory.SubFactory(TherapistFactory)
    billing_client = factory.SubFactory(
        ClientFactory, primary_therapist=factory.SelfAttribute("..therapist")
    )
    service_type = factory.SubFactory(ServiceTypeFactory)
    room = factory.SubFactory(RoomFactory)
    # Hours counted in UTC: wall-clock arithmetic in Vancouver gives one instant twice at DST.
    starts_at = factory.Sequence(
        lambda n: datetime(2026, 3, 2, 17, tzinfo=UTC) + timedelta(hours=n)
    )
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(minutes=50))
    fee_amount = Decimal("160.00")

    @factory.post_generation
    def with_billing_client(appointment, create, extracted, **kwargs):
        if create:
            appointment.clients.add(appointment.billing_client)


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    channel = Channel.EMAIL
    recipient = "someone@example.test"
    subject = "Your invoice"
    body_text = "Bonjour Hélène"
    purpose = Purpose.NOTIFICATION


class AppointmentSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentSeries

    therapist = factory.SubFactory(TherapistFactory)
    billing_client = factory.SubFactory(
        ClientFactory, primary_therapist=factory.SelfAttribute("..therapist")
    )
    frequency = Frequency.WEEKLY
    first_starts_at = factory.LazyFunction(
        lambda: timezone.make_aware(timezone.datetime(2026, 3, 2, 10))
    )
    occurrence_count = 4


class BadFitEntryFactory(factory.django.DjangoModelFactory):
    """An open Bad Fit entry for a client, triggered by one no-show of theirs."""

    class Meta:
        model = BadFitEntry
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SelfAttribute("client.primary_therapist")
    reason = BadFitReason.NO_SHOW

    @factory.post_generation
    def triggered_by(entry, create, extracted, **kwargs):
        if create:
            entry.appointments.add(
                *(
                    extracted
                    or [
                        AppointmentFactory(
                            billing_client=entry.client,
                            therapist=entry.therapist,
                            status="no-show",
                        )
                    ]
                )
            )


# --- Billing ------------------------------------------------------------------------------


class IssuedInvoiceFactory(factory.django.DjangoModelFactory):
    """An issued invoice to a payer (pass `client=` and `payer=None` for a direct client's)."""

    class Meta:
        model = Invoice

    payer = factory.SubFactory(PayerFactory)
    client = None
    number = factory.Sequence(lambda n: f"INV-2026-{n + 1:05d}")
    status = InvoiceStatus.ISSUED
    bill_to_key = factory.Sequence(lambda n: f"test-bill-to-{n}")
    period_start = date(2026, 3, 1)
    period_end = date(2026, 3, 31)
    issued_on = date(2026, 4, 1)
    due_on = date(2026, 5, 1)
    subtotal_amount = Decimal("300.00")
    total_amount = Decimal("300.00")


class SessionLineFactory(factory.django.DjangoModelFactory):
    """A live line billing one completed appointment of the invoice's client."""

    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(IssuedInvoiceFactory)
    appointment = factory.SubFactory(AppointmentFactory, status="completed")
    client = factory.SelfAttribute("appointment.billing_client")
    therapist = factory.SelfAttribute("appointment.therapist")
    service_type = factory.SelfAttribute("appointment.service_type")
    service_date = factory.LazyAttribute(
        lambda line: timezone.localdate(line.appointment.starts_at)
    )
    description = "Individual session"
    unit_amount = Decimal("150.00")
    total_amount = factory.SelfAttribute("unit_amount")


class PaymentFactory(factory.django.DjangoModelFactory):
    """An unallocated payment from a payer (pass `client=` and `payer=None` for a client's)."""

    class Meta:
        model = Payment

    payer = factory.SubFactory(PayerFactory)
    client = None
    received_on = date(2026, 4, 15)
    amount = Decimal("300.00")
    method = PaymentMethod.CHEQUE


class ReceiptFactory(factory.django.DjangoModelFactory):
    """A receipt for a direct client's payment (numbered outside the counter: tests only)."""

    class Meta:
        model = Receipt

    payment = factory.SubFactory(
        PaymentFactory, payer=None, client=factory.SubFactory(ClientFactory)
    )
    number = factory.Sequence(lambda n: f"RCP-2026-{n + 1:05d}")
    issued_on = date(2026, 4, 15)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A draft invoice to a direct client for March 2026 (month runs make the real ones)."""

    class Meta:
        model = Invoice

    client = factory.SubFactory(ClientFactory)
    bill_to_key = factory.LazyAttribute(lambda invoice: f"client:{invoice.client.pk}")
    period_start = date(2026, 3, 1)
    period_end = date(2026, 3, 31)


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    client = factory.SelfAttribute("invoice.client")
    therapist = factory.SelfAttribute("client.primary_therapist")
    service_type = factory.SubFactory(ServiceTypeFactory)
    service_date = date(2026, 3, 3)
    description = "Individual session"
    unit_amount = Decimal("160.00")
    total_amount = Decimal("160.00")


class DocumentCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentCounter
        django_get_or_create = ["series", "year"]

    series = DocumentSeries.INVOICE
    year = 2026
    last_number = 1


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    therapist = factory.SubFactory(TherapistFactory)
    period_start = date(2026, 3, 1)
    period_end = date(2026, 3, 31)
    generated_at = factory.LazyFunction(timezone.now)


class StatementLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatementLine

    statement = factory.SubFactory(StatementFactory)
    kind = "paid"
    appointment = factory.SubFactory(
        AppointmentFactory, therapist=factory.SelfAttribute("..statement.therapist")
    )
    client = factory.SelfAttribute("appointment.billing_client")
    service_type = factory.SelfAttribute("appointment.service_type")
    rate = factory.SubFactory(
        TherapistRateFactory, therapist=factory.SelfAttribute("..statement.therapist")
    )
    service_date = date(2026, 3, 2)
    appointment_status = "completed"
    paid_on = date(2026, 3, 20)
    price_amount = Decimal("120.00")
    service_fee_amount = Decimal("36.00")
    net_amount = Decimal("84.00")


# --- Worklist -----------------------------------------------------------------------------


class TaskFactory(factory.django.DjangoModelFactory):
    """An open task of the Bad Fit rule (its facts as that rule writes them)."""

    class Meta:
        model = Task

    rule = RuleKey.BAD_FIT_CALL
    subject_id = factory.Sequence(lambda n: n + 1)
    subject_label = factory.Sequence(lambda n: f"Camille Tremblay{n}")
    facts = factory.LazyFunction(lambda: {"reason": BadFitReason.NO_SHOW})
    due_on = factory.LazyFunction(timezone.localdate)
    opened_at = factory.LazyFunction(timezone.now)


def security_records(client: Client, *, viewer: User) -> None:
    """One row of each sign-in and privacy record: a failed sign-in and its log, a two-factor
    reset, a privacy request, a view of `client`'s record and a breach."""
    AccessAttempt.objects.create(
        username="someone",
        ip_address="127.0.0.1",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/",
    )
    AccessLog.objects.create(
        username="someone", ip_address="127.0.0.1", http_accept="", path_info="/"
    )
    TwoFactorReset.objects.create(user=UserFactory(), reset_by=UserFactory())
    PrivacyRequest.objects.create(
        client=client,
        kind="other",
        received_on=timezone.localdate(),
        received_how="email",
        due_on=timezone.localdate(),
    )
    AccessRecord.objects.create(
        user=viewer,
        username=viewer.username,
        what=AccessKind.CLIENT_RECORD,
        client=client,
        path=f"/admin/caseload/client/{client.pk}/change/",
    )
    Breach.objects.create(
        discovered_at=timezone.now(),
        description="A lost folder",
        records_affected="Names",
        cause="Left on a bus",
        containment="Found",
        real_risk="no",
        risk_reasoning="Returned sealed",
    )
