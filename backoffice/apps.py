from django.contrib.admin.apps import AdminConfig


class CaseloadAdminConfig(AdminConfig):
    """Django's admin on Caseload's site: unfold's, with Caseload's client pickers."""

    default_site = "backoffice.admin_site.CaseloadAdminSite"

    def ready(self):
        super().ready()
        from backoffice.admin_rows import headers_built_once_a_page, labels_rendered_once

        headers_built_once_a_page()
        labels_rendered_once()
