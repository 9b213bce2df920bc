import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.models import Client
from backoffice.documents.formatting import money, month
from backoffice.payouts.models import Statement


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
        return record.listed_name


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
        attrs = {"class": "table"}
        orderable = False
        empty_text = _("No statement yet.")

    def render_period_start(self, value):
        return month(value)

    def render_net_amount(self, value):
        return money(value)

    def render_pdf(self, value):
        url = reverse("portal:statement_pdf", args=[value])
        return format_html('<a href="{}">{}</a>', url, _("Download"))
