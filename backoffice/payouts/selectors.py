"""Reads for statements."""

from django.db.models import QuerySet

from backoffice.caseload.models import Therapist
from backoffice.payouts.models import Statement, StatementStatus


def statements_of_therapist(*, therapist: Therapist) -> QuerySet[Statement]:
    """The therapist's own statements once sent (drafts may still change), newest first."""
    return (
        Statement.objects.filter(therapist=therapist)
        .exclude(status=StatementStatus.DRAFT)
        .order_by("-period_start")
    )
