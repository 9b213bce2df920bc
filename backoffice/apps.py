from django.contrib.admin.apps import AdminConfig


class CaseloadAdminConfig(AdminConfig):
    """Django's admin on Caseload's site: unfold's, with Caseload's client pickers; and the
    `__among` lookup (`backoffice.bulk.Among`) on every field."""

    default_site = "backoffice.admin_site.CaseloadAdminSite"

    def ready(self):
        super().ready()
        from django.db.models import Field, ForeignObject

        from backoffice.admin_rows import headers_built_once_a_page, labels_rendered_once
        from backoffice.bulk import Among

        for fields in (Field, ForeignObject):  # relations take only lookups of their own
            fields.register_lookup(Among)

        headers_built_once_a_page()
        labels_rendered_once()
