from datetime import timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.billing.selectors import ClientStatus
from backoffice.caseload.models import Authorization, Client, Payer
from backoffice.scheduling.models import Appointment, AppointmentStatus
from backoffice.zone_data import local_midnight


class ClientFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), method="filter_name")
    is_active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("true", _("Active")), ("false", _("Deactivated"))],
        method="filter_active",
        empty_label=_("All"),
    )
    colour = django_filters.ChoiceFilter(
        label=_("Colour"), choices=ClientStatus.choices, field_name="status", empty_label=_("All")
    )
    payer = django_filters.ModelChoiceFilter(
        label=_("Payer"),
        queryset=Payer.objects.order_by("name"),
        method="filter_payer",
        empty_label=_("All"),
    )

    class Meta:
        model = Client
        fields = ["name", "kind", "is_active", "colour", "payer"]

    def filter_name(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(preferred_name__icontains=word)
            )
        return queryset

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")

    def filter_payer(self, queryset, name, value):
        of_payer = Authorization.objects.filter(client=OuterRef("pk"), payer=value)
        return queryset.filter(Exists(of_payer))


class Period:
    TODAY = "today"
    WEEK = "week"
    UPCOMING = "upcoming"
    PAST = "past"
    CHOICES = [
        (TODAY, _("Today")),
        (WEEK, _("This week")),
        (UPCOMING, _("Upcoming")),
        (PAST, _("Past")),
    ]


class ScheduleFilter(django_filters.FilterSet):
    """The therapist's sessions by period (Vancouver days; from today on when none is picked)
    and status; past sessions newest first, the others in order."""

    period = django_filters.ChoiceFilter(
        label=_("When"), choices=Period.CHOICES, method="filter_period", empty_label=None
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=AppointmentStatus.choices, empty_label=_("All")
    )

    class Meta:
        model = Appointment
        fields = ["period", "status"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("period", Period.UPCOMING)
        super().__init__(data, *args, **kwargs)

    def filter_period(self, queryset, name, value):
        today = timezone.localdate()
        midnight = local_midnight(today)
        if value == Period.PAST:
            return queryset.filter(starts_at__lt=timezone.now()).order_by("-starts_at", "-pk")
        if value == Period.TODAY:
            queryset = queryset.filter(
                starts_at__gte=midnight, starts_at__lt=local_midnight(today + timedelta(days=1))
            )
        elif value == Period.WEEK:
            monday = today - timedelta(days=today.weekday())
            queryset = queryset.filter(
                starts_at__gte=local_midnight(monday),
                starts_at__lt=local_midnight(monday + timedelta(days=7)),
            )
        else:
            queryset = queryset.filter(starts_at__gte=midnight)
        return queryset.order_by("starts_at", "pk")
