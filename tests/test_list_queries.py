"""List pages run the same few queries however many rows they show (docs/quality.md, List
pages): every changelist of the admin site's registry and every portal list the URL resolver
serves, generated so that a new ModelAdmin or portal list is guarded without editing this file.

Rows come from tests/factories.py: every factory of the page's model, in turn. A model with
no factory is filled generically, field by field (`generic_values`); one the test cannot fill
fails, naming the model, so a new list is never skipped silently.
"""

import itertools
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import factory
import pytest
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.db import IntegrityError, connection, models, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from django.views.generic.list import MultipleObjectMixin

from backoffice.caseload.models import Therapist
from backoffice.payouts.models import Statement, StatementStatus
from backoffice.scheduling.models import Appointment
from tests import factories
from tests.bench.measure import counts_big_table
from tests.factories import AppointmentFactory, AuthorizationFactory, TherapistFactory

pytestmark = pytest.mark.django_db

FEW, MORE = 2, 8
MAX_QUERIES = 8  # the bar make bench sets at 5k and 500k (docs/quality.md, List pages)
APPOINTMENT_TABLES = ["scheduling_appointment", "scheduling_appointment_clients"]
# The sidebar's open-task counts, on every admin page: a GROUP BY over the current tasks.
TASKS = '"worklist_task"'


# --- the rows of a page -------------------------------------------------------------------


def _factories_by_model() -> dict[type[models.Model], list[type]]:
    found = defaultdict(list)
    for value in vars(factories).values():
        if (
            isinstance(value, type)
            and issubclass(value, factory.django.DjangoModelFactory)
            and value._meta.model is not None
        ):
            found[value._meta.model].append(value)
    return found


FACTORIES = _factories_by_model()
ROW_NUMBERS = defaultdict(itertools.count)


class CannotFill(Exception):
    pass


def generic_values(model, n, fields) -> dict:
    """Values for `fields` of row `n` of `model`: text and numbers carry `n`, choice fields
    read `n` as a mixed-radix number (so rows differ in their choices as far as the choices
    allow: a unique purpose and language get every pair), a relation gets a new related row."""
    values, radix = {}, 1
    for field in fields:
        if field.choices:
            choices = [c for c in field.flatchoices if c[0] not in ("", None)]
            values[field.name] = choices[(n // radix) % len(choices)][0]
            radix *= len(choices)
        elif field.is_relation:
            values[field.name] = build_rows(field.related_model, 1)[0]
        elif isinstance(field, models.EmailField):
            values[field.name] = f"row{n}@example.test"
        elif isinstance(field, models.GenericIPAddressField):
            values[field.name] = f"10.0.{n // 256}.{n % 256}"
        elif isinstance(field, (models.CharField, models.TextField)):
            values[field.name] = f"{field.name}-{n}"[: field.max_length]
        elif isinstance(field, models.BooleanField):
            values[field.name] = False
        elif isinstance(field, (models.IntegerField, models.DecimalField)):
            values[field.name] = Decimal(n) if isinstance(field, models.DecimalField) else n
        elif isinstance(field, models.DateTimeField):
            values[field.name] = timezone.now() - timedelta(minutes=n)
        elif isinstance(field, models.DateField):
            values[field.name] = date(2026, 3, 1) + timedelta(days=n)
        elif isinstance(field, models.JSONField):
            values[field.name] = {}
        else:
            raise CannotFill(
                f"{model._meta.label}: no factory in tests/factories.py, and its field "
                f"{field.name!r} ({type(field).__name__}) cannot be filled generically; "
                f"add a factory for {model.__name__}"
            )
    return values


def _required(field) -> bool:
    return not (
        field.auto_created
        or field.null
        or field.blank
        or field.has_default()
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def build_rows(model, count, given=lambda n: {}) -> list[models.Model]:
    """`count` new rows of `model`, with the values `given(n)` for row `n`: each from the
    model's factories in turn (a get-or-create factory gets new values for its lookup fields,
    else every row would be the same one), or generic ones when it has none."""
    built = []
    for _ in range(count):
        n = next(ROW_NUMBERS[model])
        fixed = given(n)
        makers = FACTORIES.get(model)
        if makers:
            maker = makers[n % len(makers)]
            names = maker._meta.django_get_or_create
        else:
            maker, names = model.objects.create, [f.name for f in model._meta.concrete_fields]
        fields = [model._meta.get_field(name) for name in names]
        fields = [f for f in fields if f.name not in fixed and (makers or _required(f))]
        try:
            with transaction.atomic():
                built.append(maker(**generic_values(model, n, fields), **fixed))
        except IntegrityError as error:
            raise CannotFill(
                f"{model._meta.label}: could not build row {n} for its list page ({error}); "
                f"add or fix its factory in tests/factories.py"
            ) from error
    return built


# --- the pages ----------------------------------------------------------------------------


def _portal_lists() -> list[str]:
    """The portal's list pages: its URLs without arguments that a list view serves."""
    _, portal = get_resolver().namespace_dict["portal"]
    return [
        f"portal:{pattern.name}"
        for pattern in portal.url_patterns
        if isinstance(pattern, URLPattern)
        and not pattern.pattern.converters
        and issubclass(getattr(pattern.callback, "view_class", object), MultipleObjectMixin)
    ]


ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
PORTAL_LISTS = _portal_lists()


def _sent_statement_of_a_month(n: int) -> dict:
    start = date(2020 + n // 12, n % 12 + 1, 1)
    end = (start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return {"status": StatementStatus.SENT, "period_start": start, "period_end": end}


def _upcoming_session(n: int) -> dict:
    start = timezone.now() + timedelta(days=1, hours=n)
    return {"starts_at": start, "ends_at": start + timedelta(minutes=50)}


# What a therapist's rows need beyond being theirs to show on a portal list.
PORTAL_SHOWN = {
    Statement: _sent_statement_of_a_month,  # drafts stay off the portal; one per month
    Appointment: _upcoming_session,  # the schedule opens on the sessions from today on
}


def _admin_listed(response) -> list:
    return list(response.context["cl"].result_list)


def _portal_listed(response) -> list:
    return list(response.context["object_list"])


def _get(client, url, params, listed) -> tuple[int, list[str]]:
    """How many rows the page shows, and the SQL it ran to show them."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, f"{url} {params}: answered {response.status_code}"
    return len(listed(response)), [query["sql"] for query in queries]


def _params_showing(client, url, rows, listed, filters=()) -> dict:
    """The page's own parameters under which `rows` show: none, else the first choice of one
    of its filters that shows them (a filter that always has a choice on: the appointments
    open on today's)."""
    wanted = {row.pk for row in rows}
    candidates = [{}] + [
        {spec.parameter_name: lookup} for spec in filters for lookup, _ in spec.lookup_choices
    ]
    for params in candidates:
        if wanted <= {row.pk for row in listed(client.get(url, params))}:
            return params
    pytest.fail(f"{url}: the rows built for this list show under none of {candidates}")


def _search_term(model_admin, row) -> str | None:
    """What the first search field holds for `row`, without its row number ("Lévesque7" →
    "Lévesque"), so that the search matches rows of every batch."""
    for name in model_admin.search_fields:
        value = row
        for part in name.lstrip("^=@").split("__"):
            value = getattr(value, part, None)
        term = re.sub(r"[\d\s]+$", "", str(value or ""))
        if term:
            return term
    return None


def _choice_filter(model_admin, row) -> dict:
    """The first choices or yes/no filter of the list, set to `row`'s value."""
    for entry in model_admin.list_filter:
        name = entry[0] if isinstance(entry, (list, tuple)) else entry
        if not isinstance(name, str) or "__" in name:
            continue
        field = row._meta.get_field(name)
        if field.choices or isinstance(field, models.BooleanField):
            value = getattr(row, name)
            return {f"{name}__exact": int(value) if isinstance(value, bool) else value}
    return {}


def assert_queries_do_not_grow(client, url, variants, add_rows, listed):
    """Each variant of the page runs as many queries with FEW rows as with MORE added, and
    none counts the appointments table (docs/quality.md, List pages)."""
    for params in variants.values():
        client.get(url, params)  # the first request fills per-process caches
    few = {name: _get(client, url, params, listed) for name, params in variants.items()}
    add_rows()
    many = {name: _get(client, url, params, listed) for name, params in variants.items()}
    for name, params in variants.items():
        (few_shown, few_sql), (many_shown, many_sql) = few[name], many[name]
        assert len(few_sql) == len(many_sql) <= MAX_QUERIES, (
            f"{url} {params}: {len(few_sql)} queries for {few_shown} rows, "
            f"{len(many_sql)} for {many_shown}:\n" + "\n".join(many_sql)
        )
        counting = [sql for sql in many_sql if counts_big_table(sql, APPOINTMENT_TABLES)]
        assert not counting, f"{url} {params} counts appointments:\n" + "\n".join(counting)
    shown_few, shown_many = few["shown"][0], many["shown"][0]
    assert shown_few >= FEW and shown_many >= shown_few + MORE, (
        f"{url}: the rows built do not all show ({shown_few}, then {shown_many})"
    )


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_admin_list_queries_do_not_grow_with_its_rows(admin_client, model):
    model_admin = admin.site._registry[model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    rows = build_rows(model, FEW)
    filters = admin_client.get(url).context["cl"].filter_specs
    simple = [spec for spec in filters if isinstance(spec, admin.SimpleListFilter)]
    shown = _params_showing(admin_client, url, rows, _admin_listed, simple)
    variants = {"shown": shown}
    if term := _search_term(model_admin, rows[0]):
        variants["searched"] = {**shown, SEARCH_VAR: term}
    if chosen := _choice_filter(model_admin, rows[0]):
        variants["filtered"] = {**shown, **chosen}
    assert_queries_do_not_grow(
        admin_client, url, variants, lambda: build_rows(model, MORE), _admin_listed
    )


@pytest.mark.parametrize("url_name", PORTAL_LISTS)
def test_portal_list_queries_do_not_grow_with_its_rows(client, url_name):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    url = reverse(url_name)
    request = RequestFactory().get(url)
    request.user = therapist.user
    view = get_resolver().resolve(url).func.view_class()
    view.setup(request)
    model = view.get_queryset().model
    own = [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Therapist
    ]
    extra = PORTAL_SHOWN.get(model, lambda n: {})

    def given(n):
        return {**dict.fromkeys(own, therapist), **extra(n)}

    rows = build_rows(model, FEW, given)
    shown = _params_showing(client, url, rows, _portal_listed)
    assert_queries_do_not_grow(
        client, url, {"shown": shown}, lambda: build_rows(model, MORE, given), _portal_listed
    )


def test_every_list_is_guarded():
    """The registry and the resolver found the lists that had no guard before."""
    labels = {model._meta.label for model in ADMIN_MODELS}
    assert {
        "billing.Payment",
        "billing.Receipt",
        "scheduling.BadFitEntry",
        "messaging.OutboxMessage",
        "caseload.TherapistRate",
        "caseload.PayerRate",
    } <= labels
    assert {"portal:clients", "portal:schedule", "portal:statements"} <= set(PORTAL_LISTS)


@pytest.mark.parametrize(
    ("sql", "flagged"),
    [
        ('SELECT COUNT(*) AS "__count" FROM "scheduling_appointment"', True),
        (
            'SELECT DISTINCT "scheduling_appointment"."starts_at" FROM "scheduling_appointment"',
            True,
        ),
        (
            'SELECT "c"."id", (SELECT COUNT(*) FROM "scheduling_appointment" U0) FROM "c"',
            True,
        ),
        (
            'SELECT "caseload_client"."id", COALESCE((SELECT COUNT(U0."id") AS "n" '
            'FROM "scheduling_appointment" U0 WHERE (U0."billing_client_id" = '
            '("caseload_client"."id"))), 0) FROM "caseload_client" LIMIT 50',
            False,
        ),
        ('SELECT COUNT(*) FROM "caseload_client"', False),
    ],
    ids=["full count", "distinct", "uncorrelated subquery", "per-row subquery", "small table"],
)
def test_p3_flags_full_counts_not_per_row_subqueries(sql, flagged):
    assert counts_big_table(sql, APPOINTMENT_TABLES) == flagged


def test_appointment_search_goes_through_the_clients_table(admin_client):
    match = AppointmentFactory(billing_client__last_name="Bélanger")
    AppointmentFactory(billing_client__last_name="Tremblay")
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"), {"q": "bélanger"}
    )
    assert [a.pk for a in response.context["cl"].result_list] == [match.pk]


@pytest.mark.parametrize("clients_named", [3, 60], ids=["rare name", "common name"])
def test_appointment_search_finds_every_match_newest_first(admin_client, clients_named):
    therapist = AppointmentFactory().therapist
    matches = [
        AppointmentFactory(therapist=therapist, billing_client__last_name="Bélanger")
        for _ in range(clients_named)
    ]
    AppointmentFactory(therapist=therapist, billing_client__last_name="Tremblay")
    url = reverse("admin:scheduling_appointment_changelist")
    listed = admin_client.get(url, {"q": "bélanger"}).context["cl"].result_list
    newest = sorted(matches, key=lambda a: a.starts_at, reverse=True)[:50]
    assert [a.pk for a in listed] == [a.pk for a in newest]
    oldest = admin_client.get(url, {"q": "bélanger", "o": "1"}).context["cl"].result_list
    assert [a.pk for a in oldest][:3] == [a.pk for a in matches[:3]]


def test_appointments_filter_by_payer(admin_client):
    covered = AppointmentFactory()
    covered.authorization = AuthorizationFactory(client=covered.billing_client)
    covered.save()
    other = AppointmentFactory()
    other.authorization = AuthorizationFactory(client=other.billing_client)
    other.save()
    AppointmentFactory()
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"),
        {"payer": covered.authorization.payer_id},
    )
    assert [a.pk for a in response.context["cl"].result_list] == [covered.pk]


def test_a_malformed_payer_filter_lists_nothing_rather_than_failing(admin_client):
    AppointmentFactory(authorization=None)
    AuthorizationFactory()
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"), {"payer": "1 OR 1=1"}
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_a_list_filtered_to_one_client_loads_that_client_once(admin_client):
    chosen = AppointmentFactory().billing_client
    AppointmentFactory()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(
            reverse("admin:scheduling_appointment_changelist"),
            {"billing_client__id__exact": chosen.pk},
        )

    assert f'<option value="{chosen.pk}" selected>' in response.content.decode()
    client_loads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "caseload_client"')]
    assert len(client_loads) == 1, client_loads
