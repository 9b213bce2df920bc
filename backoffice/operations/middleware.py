"""/healthz for the load balancer."""

from django.http import JsonResponse

from backoffice.operations.selectors import FAILING, health_check

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answers GET and HEAD on /healthz before any other middleware: the load balancer probes
    with the instance's address as Host (no ALLOWED_HOSTS check), over plain HTTP (no HTTPS
    redirect), without a session. 503 when this instance cannot serve (database, storage, time
    zone data); a queue problem (Redis, the worker) answers 200 "degraded"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        health = health_check()
        response = JsonResponse(
            {"status": health.status, "checks": health.checks},
            status=503 if health.status == FAILING else 200,
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
