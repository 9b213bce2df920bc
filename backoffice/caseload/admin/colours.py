"""The client colour as the admin shows it: unfold labels, the legend, the list filter."""

from django.utils.translation import gettext_lazy as _
from unfold.utils import display_for_label

from backoffice.admin_base import AnnotatedChoicesFilter
from backoffice.billing.selectors import ClientStatus

# Unfold has no pink label: "primary" (the clinic's accent) stands in for it.
STATUS_LABELS = {
    ClientStatus.RED.label: "danger",
    ClientStatus.PINK.label: "primary",
    ClientStatus.NORMAL.label: "success",
}


def status_label(status: str) -> str:
    """The colour as unfold's label, for pages that are not changelist columns."""
    return display_for_label(ClientStatus(status).label, "-", STATUS_LABELS)


_STATUS_MEANINGS = [
    (
        ClientStatus.RED,
        _(
            "An authorization in force has few sessions left or expires soon: renewal "
            "documents should go to the payer. A self-paying client with more than one "
            "unpaid session is red too."
        ),
    ),
    (
        ClientStatus.PINK,
        _("Renewal documents were submitted; waiting for the payer's extension."),
    ),
    (ClientStatus.NORMAL, _("Nothing to do.")),
]


def status_legend() -> list[tuple[str, str]]:
    """(label HTML, meaning) for each colour: the legend above client lists."""
    return [(status_label(status), meaning) for status, meaning in _STATUS_MEANINGS]


class ClientStatusFilter(AnnotatedChoicesFilter):
    title = _("colour")
    parameter_name = "colour"
    options = ClientStatus
    annotation = "status"
