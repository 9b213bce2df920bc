"""The address a request comes from, as the clinic's own proxies saw it. django-axes locks a
username from this address and records it on each sign-in attempt (AXES_CLIENT_IP_CALLABLE)."""

from ipaddress import ip_address

from django.conf import settings


def client_address(request) -> str | None:
    """Behind N trusted proxies (settings.TRUSTED_PROXY_COUNT) the N-th address from the right of
    X-Forwarded-For: each proxy appends the address it was connected from, so the entries further
    left are whatever the client wrote and are never read. With no proxy, or a request that did
    not pass through all of them, the connection's own address: a header is then the client's
    word only."""
    peer = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies == 0:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < proxies:
        return peer
    try:
        return str(ip_address(forwarded[-proxies].strip()))
    except ValueError:
        return peer
