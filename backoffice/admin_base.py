"""The base every Caseload ModelAdmin shares: unfold look, history, no full-table counts."""

from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action
from unfold.paginator import InfinitePaginator
from unfold.utils import parse_date_str


class CaseloadAdmin(SimpleHistoryAdmin, ModelAdmin):
    # QUALITY P3: never COUNT(*) a big table to draw a list page.
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True
    warn_unsaved_form = True
    compressed_fields = True

    def permission_object(self, request: HttpRequest, obj):
        """The object a permission is asked about: unfold passes a detail action its id.

        Loaded once per request and id (only the fields `permission_fields` names).
        """
        if obj is None or isinstance(obj, self.model):
            return obj
        cache = request.__dict__.setdefault("_caseload_permission_objects", {})
        key = (self.model, str(obj))
        if key not in cache:
            found = self.model.objects.filter(pk=obj) if str(obj).isdigit() else None
            cache[key] = found.only(*self.permission_fields).first() if found is not None else None
        return cache[key]

    permission_fields: tuple[str, ...] = ("pk",)

    # List actions (their url_path) that act on the rows the list shows: they keep its
    # filters and search, e.g. "PDFs of this list (ZIP)".
    list_actions_on_shown_rows: tuple[str, ...] = ()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        query = request.GET.urlencode()
        if context and query and self.list_actions_on_shown_rows:
            ends = tuple(f"/{url_path}/" for url_path in self.list_actions_on_shown_rows)
            for item in context.get("actions_list") or []:
                if isinstance(item, dict) and item.get("path", "").endswith(ends):
                    item["path"] = f"{item['path']}?{query}"
        return response

    def back_after_dialog(self, request: HttpRequest, to: str = "") -> HttpResponse:
        """After an action dialog: to `to` when given, else back to the page it was opened on
        (htmx), else the list."""
        url = to or request.headers.get("HX-Current-URL", "")
        if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if request.headers.get("HX-Request"):
            return HttpResponse(headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


class CaseloadTabularInline(TabularInline):
    extra = 0
    tab = True


class CaseloadStackedInline(StackedInline):
    extra = 0
    tab = True


class LocalDateRangeFilter(RangeDateFilter):
    """A date range on a datetime field, read as whole Vancouver days (both ends included).

    unfold's RangeDateFilter compares a datetime with a bare date, which drops the last day.
    """

    def queryset(self, request, queryset):
        filters = {}
        value_from = parse_date_str(self.used_parameters.get(f"{self.parameter_name}_from") or "")
        value_to = parse_date_str(self.used_parameters.get(f"{self.parameter_name}_to") or "")
        if value_from:
            filters[f"{self.parameter_name}__gte"] = _local_midnight(value_from)
        if value_to:
            filters[f"{self.parameter_name}__lt"] = _local_midnight(value_to + timedelta(days=1))
        return queryset.filter(**filters)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ReadOnlyAdminMixin:
    """Rows written only by services: staff read them (and their history), never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AnnotatedChoicesFilter(admin.SimpleListFilter):
    """A list filter on a value the admin's queryset annotates, one of `options`."""

    options: type[models.TextChoices]
    annotation: str

    def lookups(self, request, model_admin):
        return self.options.choices

    def queryset(self, request, queryset):
        if self.value() in self.options.values:
            return queryset.filter(**{self.annotation: self.value()})
        return queryset


class TakePaymentActionMixin:
    """The "Take payment" action: billing's take-payment form for this row, named by the
    query parameter `take_payment_by` ("appointment" or "client")."""

    take_payment_by = ""

    @action(description=_("Take payment"), icon="point_of_sale", permissions=["take_payment"])
    def take_payment(self, request, object_id):
        query = urlencode({self.take_payment_by: object_id})
        return redirect(f"{reverse('admin:billing_payment_take')}?{query}")

    def has_take_payment_permission(self, request, obj=None):
        return request.user.has_perm("billing.add_payment")
