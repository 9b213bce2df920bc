"""The base every Caseload ModelAdmin shares: unfold look, history, no full-table counts."""

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import cache, cached_property, wraps
from typing import TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import AutocompleteSelectFilter, RangeDateFilter
from unfold.contrib.filters.forms import AutocompleteDropdownForm
from unfold.decorators import action
from unfold.paginator import InfinitePaginator
from unfold.utils import parse_date_str
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.documents.formatting import money
from backoffice.fields import MoneyField
from backoffice.zone_data import local_midnight

T = TypeVar("T")


@cache
def _money_shown(model: type[Model], name: str) -> Callable[[Model], str]:
    field = model._meta.get_field(name)

    def shown(obj: Model) -> str:
        amount = getattr(obj, name)
        return "-" if amount is None else money(amount)

    shown.__name__ = name  # the column keeps its field's CSS class and help text
    shown.short_description = field.verbose_name
    shown.admin_order_field = name
    return shown


def money_shown(model: type[Model], name) -> Callable | str:
    """The MoneyField `name` of `model` as a column or read-only field shown through
    documents.formatting.money; any other name or callable as it is."""
    if not isinstance(name, str):
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return _money_shown(model, name) if isinstance(field, MoneyField) else name


def _show_money_in(admin_form, model: type[Model], read_only: set) -> None:
    """Read-only money of a change page (or of one inline) in documents.formatting.money."""
    admin_form.fieldsets = [
        (
            title,
            {
                **options,
                "fields": [
                    tuple(money_shown(model, n) if n in read_only else n for n in entry)
                    if isinstance(entry, (list, tuple))
                    else money_shown(model, entry)
                    if entry in read_only
                    else entry
                    for entry in options.get("fields", ())
                ],
            },
        )
        for title, options in admin_form.fieldsets
    ]
    admin_form.readonly_fields = [money_shown(model, n) for n in admin_form.readonly_fields]


class PickerLabels:
    """A choice of a model with `picker_label()` (clients) shows that label in forms, as the
    search-as-you-type results do (backoffice.admin_site.PickerJsonView)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        related = getattr(db_field, "related_model", None)
        if hasattr(related, "picker_label") and hasattr(formfield, "label_from_instance"):
            formfield.label_from_instance = related.picker_label
        return formfield


class CaseloadAdmin(PickerLabels, SimpleHistoryAdmin, ModelAdmin):
    # A list page never counts a big table (docs/quality.md, list pages).
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

    # Django's own object pages: they deal with an object that does not exist themselves.
    OWN_OBJECT_VIEWS = ("change", "delete", "history")

    @property
    def urls(self):
        """Every URL of one object, custom ones included, answers 404 for an id that is not one
        of this admin's objects (a typed or stale URL), never 500."""
        return [self._object_checked(pattern) for pattern in self.get_urls()]

    def _object_checked(self, pattern):
        if not isinstance(pattern, URLPattern) or "object_id" not in pattern.pattern.converters:
            return pattern
        opts = self.model._meta
        own = {f"{opts.app_label}_{opts.model_name}_{view}" for view in self.OWN_OBJECT_VIEWS}
        must_exist = pattern.name not in own and pattern.name is not None
        view = pattern.callback

        @wraps(view)
        def checked(request, *args, **kwargs):
            if self.admin_site.has_permission(request):  # else the view asks to sign in
                try:
                    pk = opts.pk.to_python(unquote(str(kwargs["object_id"])))
                except ValidationError:
                    raise Http404 from None
                if must_exist and not self.get_queryset(request).filter(pk=pk).exists():
                    raise Http404
            return view(request, *args, **kwargs)

        return URLPattern(pattern.pattern, checked, pattern.default_args, pattern.name)

    def get_list_display(self, request):
        """Money columns in the active language's format (documents.formatting.money)."""
        return [
            name if name in self.list_editable else money_shown(self.model, name)
            for name in super().get_list_display(request)
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        """Read-only money on the page and its inlines in the active language's format; money
        typed in a form stays a plain number."""
        adminform = context.get("adminform")
        if adminform is not None:
            _show_money_in(adminform, self.model, set(adminform.readonly_fields))
        for inline in context.get("inline_admin_formsets", []):
            read_only = set(inline.readonly_fields)
            if not inline.has_change_permission and not inline.has_add_permission:
                read_only |= set(flatten_fieldsets(inline.fieldsets))
            _show_money_in(inline, inline.formset.model, read_only)
        return super().render_change_form(request, context, *args, **kwargs)

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

    def run_service(
        self,
        request: HttpRequest,
        service: Callable[..., T],
        /,
        *,
        done: str | Callable[[T], str] | None = None,
        warnings: Callable[[T], Iterable[str]] = lambda result: getattr(result, "warnings", ()),
        form: forms.Form | None = None,
        **arguments,
    ) -> T | None:
        """Call `service(**arguments)` and report it: the one way an admin action or page runs a
        service.

        Done: `done` (a message, or a function of the result giving one) is shown as a success
        and each of `warnings(result)` (by default the result's `warnings`) as a warning; the
        result is returned. Refused (ValidationError, nothing changed): its messages go on
        `form`, each on its field when it names one, or else are shown as errors; None is
        returned.
        """
        try:
            result = service(**arguments)
        except ValidationError as error:
            if form is None:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            elif hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return None
        message = done(result) if callable(done) else done
        if message:
            self.message_user(request, message, messages.SUCCESS)
        for warning in warnings(result):
            self.message_user(request, warning, messages.WARNING)
        return result

    def run_service_on_each(
        self,
        request: HttpRequest,
        service: Callable[..., object],
        objects: Iterable,
        /,
        *,
        name: str,
        done: Callable[[int], str],
        **arguments,
    ) -> int:
        """Run `service` on each of `objects` (passed as its argument `name`) through
        run_service: each refusal is shown, then `done(count)` once for those done (when any).
        Returns how many were done."""
        count = sum(
            self.run_service(request, service, **{name: obj}, **arguments) is not None
            for obj in objects
        )
        if count:
            self.message_user(request, done(count), messages.SUCCESS)
        return count

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


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A list filter that always has one of its own choices on: `default` when the URL names
    none (no "All" of Django's; a filter that wants one lists it)."""

    default: str = ""

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class _ChosenRecordForm(AutocompleteDropdownForm):
    """The filter's form, its choice as the initial value: bound, it would load the chosen
    record twice, once to validate it and once to draw it."""

    def __init__(self, *args, data=None, **kwargs):
        super().__init__(*args, initial=data, **kwargs)


class AutocompleteFilter(AutocompleteSelectFilter):
    """unfold's autocomplete filter, one query for the chosen record."""

    form_class = _ChosenRecordForm


class CaseloadTabularInline(PickerLabels, TabularInline):
    extra = 0
    tab = True


class ReadOnlyInline(CaseloadTabularInline):
    """Related rows shown on a page, each added and changed on its own page (a link): its
    `fields` read only, with `select_related` loaded in the same query."""

    can_delete = False
    show_change_link = True
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.select_related)


class LocalDateRangeFilter(RangeDateFilter):
    """A date range on a datetime field, read as whole Vancouver days (both ends included).

    unfold's RangeDateFilter compares a datetime with a bare date, which drops the last day.
    """

    def queryset(self, request, queryset):
        filters = {}
        value_from = parse_date_str(self.used_parameters.get(f"{self.parameter_name}_from") or "")
        value_to = parse_date_str(self.used_parameters.get(f"{self.parameter_name}_to") or "")
        if value_from:
            filters[f"{self.parameter_name}__gte"] = local_midnight(value_from)
        if value_to:
            filters[f"{self.parameter_name}__lt"] = local_midnight(value_to + timedelta(days=1))
        return queryset.filter(**filters)


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


class CaseloadFormView(UnfoldModelAdminViewMixin, FormView):
    """A custom admin page holding one form (a month to run, a series to book…), registered by
    its ModelAdmin's `get_urls` or an unfold action, as unfold documents for custom pages.

    Drawn by admin/form_page.html: `intro` above the fields, one `submit_label` button named
    `submit_name`; a page with more to show extends that template's blocks.
    """

    template_name = "admin/form_page.html"
    intro = ""
    submit_label = ""
    submit_name = "_submit"
    form_id = ""

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "intro": self.get_intro(),
            "submit_label": self.submit_label,
            "submit_name": self.submit_name,
            "form_id": self.form_id,
            "cancel_url": self.next_url(""),
        }

    def get_intro(self) -> str:
        return self.intro

    def next_url(self, default: str) -> str:
        """The page's `next` (where it was opened from) when it is on this site, else
        `default`."""
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(
            target,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return target
        return default


class PickedRowsFormView(CaseloadFormView):
    """A form for the rows an action picked in a list (a payout run, tasks to mark done).

    Opened by the action (a POST without `submit_name`: the form, empty); submitted with the
    selection again in hidden fields (`selected`, `select_across`), so the action runs it.
    """

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.submit_name not in self.request.POST:
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        return kwargs

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_bound and form.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs,
            selected=self.request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            select_across=self.request.POST.get("select_across", "0"),
        )


class CaseloadObjectFormView(CaseloadFormView):
    """A form page acting on one object of its ModelAdmin (an unfold row or detail action with
    `object_id`): the object is `self.object`; done, the page goes back to `next` or to
    `done_url()`. Refusals of the service (run through `model_admin.run_service`) go on the
    form. An object that can no longer be acted on (`already_done()` says why: removed or
    decided by someone else) sends the page back with that warning instead of the form."""

    submit_label = _("Confirm")

    def already_done(self) -> str:
        return ""

    def get(self, request, *args, **kwargs):
        return self._back_if_done() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self._back_if_done() or super().post(request, *args, **kwargs)

    def _back_if_done(self) -> HttpResponse | None:
        message = self.already_done()
        if not message:
            return None
        self.model_admin.message_user(self.request, message, messages.WARNING)
        return redirect(self.get_success_url())

    @cached_property
    def object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["object_id"])

    def get_queryset(self):
        return self.model_admin.model._default_manager.all()

    def get_context_data(self, **kwargs):
        # The object and its model name the page in unfold's header (app, list, object).
        return {
            **super().get_context_data(**kwargs),
            "object": self.object,
            "opts": self.model_admin.model._meta,
        }

    def done_url(self) -> str:
        opts = self.model_admin.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.object.pk])

    def get_success_url(self) -> str:
        return self.next_url(self.done_url())
