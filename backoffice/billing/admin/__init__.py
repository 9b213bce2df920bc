"""Billing in the admin, one module per model family; Django's autodiscover imports this
package, which registers them all. Forms are in forms.py, custom pages in views.py."""

from backoffice.billing.admin import invoices, numbering, payer_limits, payments  # noqa: F401
