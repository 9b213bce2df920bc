"""A task that fails the way real ones do: the exception's message names a client."""

from huey.contrib.djhuey import db_task


@db_task()
def client_lookup_task(email: str) -> None:
    raise LookupError(f"no client file for {email}")
