"""The seam between services and the worker: on-commit jobs by name.

A service that must hand work to the worker once its transaction commits (send an outbox
message, render and email the PDFs staff selected) calls `enqueue_after_commit("name", …)`.
The `jobs` app registers its Huey tasks under those names when it loads
(`jobs.apps.JobsConfig.ready` → `jobs.tasks`), so no domain module imports `jobs` and `jobs`
alone imports the services it wraps: the dependency goes one way.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

_jobs: dict[str, Callable[..., object]] = {}


def job_register(name: str, job: Callable[..., object]) -> None:
    """Make `job(*args)` what `enqueue_after_commit(name, *args)` runs (a Huey task enqueues)."""
    _jobs[name] = job


def enqueue_after_commit(name: str, *args) -> None:
    """Run the job registered as `name` with `args` once the current transaction commits."""
    job = _jobs[name]  # a KeyError now, in the service, beats a job lost after the commit
    transaction.on_commit(lambda: job(*args))
