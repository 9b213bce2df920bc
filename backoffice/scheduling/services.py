from backoffice.scheduling.models import Appointment


def appointment_participants_ensure(*, appointment: Appointment) -> None:
    """The billing client is always one of the clients seen."""
    appointment.clients.add(appointment.billing_client_id)
