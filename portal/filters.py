import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.models import Client


class ClientFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), method="filter_name")
    is_active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("true", _("Active")), ("false", _("Deactivated"))],
        method="filter_active",
        empty_label=_("All"),
    )

    class Meta:
        model = Client
        fields = ["name", "kind", "is_active"]

    def filter_name(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
        return queryset

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")
