"""What payers' and therapists' rates share in the admin."""

from django.utils.translation import gettext_lazy as _

from backoffice.admin_base import CaseloadTabularInline


class RatesInline(CaseloadTabularInline):
    """Effective-dated rates on their payer's or therapist's page: a later row never rewrites
    a past month."""

    autocomplete_fields = ["service_type"]
    verbose_name_plural = _("Rates (effective-dated)")
