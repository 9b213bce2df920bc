"""gunicorn settings; every value can be overridden by its GUNICORN_* or PORT variable."""

import gc
import multiprocessing
import os

bind = f"{os.environ.get('GUNICORN_BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# One request at a time a worker (gunicorn's sync worker): pages are mostly Python, and a
# second thread only shares the worker's one interpreter lock, each query's answer waiting for
# the other thread's turn (docs/quality.md, Under load). Scale with GUNICORN_WORKERS.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# With threads, a worker takes a connection only when a thread is free (gunicorn's default
# takes up to 1,000): a request waits in the socket's queue for the first free worker.
worker_connections = threads
keepalive = 0  # nginx opens a connection per request (deploy/nginx.conf)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# No runtime control socket: two gunicorn processes on one host would share its one path.
control_socket_disable = True
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The path only: query strings can carry client names typed into a search (no PHI in logs).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
errorlog = "-"
# Django's LOG_FORMAT (settings.py): JSON lines without exceptions' messages in production.
log_format = os.environ.get(
    "LOG_FORMAT", "json" if os.environ.get("DJANGO_ENV") == "production" else "plain"
)
if log_format == "json":
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["error"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json"},
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "formatters": {"json": {"()": "backoffice.logs.JsonFormatter"}},
    }


def post_worker_init(worker):
    # Django and its modules, loaded once, move out of the collector's sight, and collections
    # run less often: a full collection over them otherwise lands in one request in a few
    # hundred, the portal's slowest (docs/quality.md, Under load).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
