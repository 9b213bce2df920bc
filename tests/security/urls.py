"""The role-by-URL matrix's walk: every URL the resolver serves and every admin action, each as
one request (its path, method and data) on the world's objects, and a response as one outcome."""

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

# The outcome of one request, as the table writes it.
OK = "OK"  # 2xx: the page, the download, or the form answered with its errors
LOGIN = "LOGIN"  # a redirect to a sign-in page
REDIRECT = "REDIRECT"  # any other redirect
BAD_REQUEST = "BAD_REQUEST"  # 400
DENIED = "DENIED"  # 403
HIDDEN = "HIDDEN"  # 404
NOT_ALLOWED = "NOT_ALLOWED"  # 405: the row asks with a method the URL does not take
GONE = "GONE"  # 410
IGNORED = "IGNORED"  # an action the list does not offer this user: the list, nothing done
VOCABULARY = {
    200: OK,
    400: BAD_REQUEST,
    403: DENIED,
    404: HIDDEN,
    405: NOT_ALLOWED,
    410: GONE,
}
NO_ACTION = "No action selected."  # Django's message for an action the list does not have
SIGN_IN_PAGES = {"admin:login", "portal:login", "client:sign_in"}

# A pattern's kwargs and regex groups, written as the world's objects (see `path_of`).
OBJECT_ID = "<path:object_id>"
HISTORY = "^([^/]+)/history/([^/]+)/$"


@dataclass(frozen=True)
class Entry:
    """One row of the matrix: a URL name (or, unnamed, its route) and, for an admin action,
    the action's name, posted to its model's list."""

    key: str
    route: str
    name: str | None
    action: str | None = None
    model: type | None = field(default=None, compare=False)


def _walk(patterns, prefix="/", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = None
            if pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield route, name


def _admin_model(route: str):
    """The registered model of an admin route, from its /admin/<app_label>/<model_name>/."""
    parts = route.split("/")
    if len(parts) > 4 and parts[1] == "admin":
        try:
            model = apps.get_model(parts[2], parts[3])
        except (LookupError, ValueError):
            return None
        return model if model in admin.site._registry else None
    return None


def entries() -> dict[str, Entry]:
    """Every URL of the project (one row per name; an unnamed URL by its route) and every
    action of every admin list."""
    found = {}
    for route, name in _walk(get_resolver().url_patterns):
        key = name or route
        found.setdefault(key, Entry(key, route, name, model=_admin_model(route)))
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = f"admin:{opts.app_label}_{opts.model_name}_changelist"
        route = found[changelist].route
        for _function, action, _description in model_admin._get_base_actions():
            key = f"{changelist} action={action}"
            found[key] = Entry(key, route, changelist, action=action, model=model)
    return found


def object_of(world: dict, model):
    for name in ("client_a1", "therapist_a", "upcoming", "authorization", "invoice", "receipt"):
        if isinstance(world[name], model):
            return world[name]
    if model is world["receipt"].payment.__class__:
        return world["receipt"].payment
    if model is world["statement"].__class__:
        return world["statement"]
    if model is world["group"].__class__:
        return world["group"]
    if model is world["users"]["therapist_a"].__class__:
        return world["users"]["therapist_a"]
    return model._default_manager.order_by("pk").first()


# The object a portal, client or notification page names: therapist A's, client A1's.
PAGE_OBJECTS = {
    "portal:client": "client_a1",
    "portal:client_request": "client_a1",
    "portal:renewal_upload": "authorization",
    "portal:renewal_document": "authorization",
    "portal:attendance": "upcoming",
    "portal:statement_pdf": "statement",
    "client:confirm": "upcoming",
    "client:cancel": "upcoming",
    "client:invoice_pdf": "invoice",
    "client:receipt_pdf": "receipt",
    "notifications:open": "notification",
    "notifications:read": "notification",
}


def path_of(entry: Entry, world: dict) -> str:
    """The entry's route with the world's objects in it."""
    path = entry.route
    obj = object_of(world, entry.model) if entry.model is not None else None
    if obj is not None:
        history_id = obj.history.order_by("history_id").first().history_id if HISTORY in path else 0
        path = path.replace(HISTORY, f"{obj.pk}/history/{history_id}/")
        path = path.replace(OBJECT_ID, str(obj.pk)).replace("<id>", str(obj.pk))
    if "<int:pk>" in path:
        path = path.replace("<int:pk>", str(world[PAGE_OBJECTS[entry.key]].pk))
    client = world["client_a1"]
    replacements = {
        "<path:content_type_id>/<path:object_id>": (
            f"{ContentType.objects.get_for_model(client).pk}/{client.pk}"
        ),
        "<str:token>": world["reminder_token"],
        "<uidb64>/<token>": f"{world['password_uid']}/{world['password_token']}",
        "^mailgun/inbound(_mime)?/$": "mailgun/inbound/",
        "(?P<url>.*)$": "no-such-page/",
    }
    for written, value in replacements.items():
        path = path.replace(written, value)
    path = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "billing/", path)
    assert not re.search(r"[<>^$()]", path), f"{entry.key}: no object for {path}"
    return path


def data_of(entry: Entry, world: dict) -> dict:
    """An action's form (the world's object ticked), or the query string of a page that chooses
    its object by one."""
    if entry.action is not None:
        selected = object_of(world, entry.model).pk
        return {"action": entry.action, "index": 0, "_selected_action": selected}
    if entry.key == "admin:billing_payment_take":
        return {"client": world["client_a1"].pk}
    if entry.key == "admin:autocomplete":
        return {
            "app_label": "scheduling",
            "model_name": "appointment",
            "field_name": "billing_client",
            "term": "",
        }
    return {}


def outcome(response, *, action: bool = False) -> str:
    """The response in the matrix's words."""
    status = response.status_code
    if action and _action_not_run(response):
        return IGNORED
    if 300 <= status < 400:
        location = response.headers.get("Location", "").split("?")[0]
        try:
            name = resolve(location).view_name
        except Resolver404:
            name = None
        return LOGIN if name in SIGN_IN_PAGES else REDIRECT
    if 200 <= status < 300:
        return OK
    return VOCABULARY.get(status, str(status))


def _action_not_run(response) -> bool:
    """The list page again, or a redirect saying no action was chosen: the action did not run."""
    context = getattr(response, "context_data", None) or {}
    if response.status_code == 200 and "cl" in context:
        return True
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    return response.status_code == 302 and NO_ACTION in shown
