import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.models import Client


class ClientTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Client"), accessor="last_name", order_by=("last_name", "first_name")
    )
    kind = tables.Column(verbose_name=_("Payment source"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = Client
        fields = ["name", "kind", "date_of_birth", "preferred_language", "is_active"]
        attrs = {"class": "table"}
        empty_text = _("No clients yet.")

    def render_name(self, record):
        return f"{record.last_name}, {record.first_name}"
