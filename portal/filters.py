import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.caseload.models import Client


class ClientFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), method="filter_name")

    class Meta:
        model = Client
        fields = ["name", "kind", "is_active"]

    def filter_name(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
        return queryset
