"""Therapist statements in the admin: read-only pages, changed only through the payouts services.

A statement is created and rebuilt by month runs (`services.statements_generate`), emailed by
`services.sending.statement_send` and marked paid by `services.statement_payout_record`; the
pages here only call them. Running, sending, regenerating and recording payouts need the change
(and, for runs, add) permission on statements, held by the finance and admin roles; PDFs, ZIPs
and Excel need `payouts.export_statement`. A draft may be deleted; nothing else is edited here.

statements.py registers the statement admin; forms.py holds its forms and views.py its pages.
"""

from backoffice.payouts.admin import statements  # noqa: F401  (registers the admin)
