"""Staff's decision on a session the month run set aside at its payer's limits."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.billing.models import SetAsideDecision, SetAsideOutcome, SetAsideReason
from backoffice.billing.selectors import session_set_aside
from backoffice.caseload.services import authorization_extend
from backoffice.scheduling.models import Appointment


@transaction.atomic
def set_aside_decide(
    *, appointment: Appointment, outcome: str, note: str = "", by=None
) -> SetAsideDecision:
    """Record what staff decided for a session set aside at its payer's limits (past its
    authorization's approved sessions or expiry), with who and when (history kept):

    - bill the client: the next month run puts it on the client's invoice, at its fee;
    - extend the authorization: just enough to cover it (the sessions up to this one, valid
      until its date), so the next run bills the payer;
    - write off: it is never billed.

    Refused when the session is not set aside (anymore), or was decided already.
    """
    if outcome not in SetAsideOutcome.values:
        raise ValidationError({"outcome": _("Choose what to do with the session.")})
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("authorization")
        .get(pk=appointment.pk)
    )
    found = session_set_aside(appointment=locked)
    if found is None:
        raise ValidationError(
            _("Session #%(pk)s is not set aside (anymore): there is nothing to decide.")
            % {"pk": locked.pk}
        )
    if outcome == SetAsideOutcome.EXTEND:
        authorization = locked.authorization
        authorization_extend(
            authorization=authorization,
            sessions_approved=max(found.place, authorization.sessions_approved),
            valid_until=max(found.service_date, authorization.valid_until),
            note=note or str(SetAsideReason(found.outcome).label),
        )
    decision = SetAsideDecision(
        appointment=locked,
        authorization_id=locked.authorization_id,
        reason=found.outcome,
        outcome=outcome,
        note=note,
        decided_by=by,
        decided_at=timezone.now(),
    )
    decision._history_user = by
    try:
        with transaction.atomic():
            decision.save()
    except IntegrityError as error:  # one decision per session
        raise ValidationError(
            _("Session #%(pk)s was decided already.") % {"pk": locked.pk}
        ) from error
    return decision
