from django.contrib.admin.apps import AdminConfig


class CaseloadAdminConfig(AdminConfig):
    """Django's admin on Caseload's site: unfold's, with Caseload's client pickers."""

    default_site = "backoffice.admin_site.CaseloadAdminSite"
