"""Caseload's production processes started on loopback as deployed: nginx on the shipped
deploy/nginx.conf (TLS from a throwaway authority), gunicorn on deploy/gunicorn.conf.py, Huey
consumers. Used by the lockout test, the production smoke and the load bench."""

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import trustme

BASE_DIR = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")
SHIPPED_NGINX = BASE_DIR / "deploy" / "nginx.conf"
SHIPPED_GUNICORN = BASE_DIR / "deploy" / "gunicorn.conf.py"
SHIPPED_UPSTREAMS = ("127.0.0.1:8000", "127.0.0.1:8001")
HOST = "caseload.example"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, *, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on {port}:\n{log.read_text()}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen, *, how: int = signal.SIGTERM, seconds: int = 40) -> None:
    """Ask the process (and what it started) to stop, then kill what is left."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, how)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start(command: Sequence, *, env: dict, log: Path) -> subprocess.Popen:
    """A process of its own group (so `stop` reaches its workers), its output in `log`."""
    with log.open("a") as output:
        return subprocess.Popen(
            [str(part) for part in command],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_gunicorn(port: int, *, env: dict, log: Path, workers: int = 1) -> subprocess.Popen:
    """gunicorn as the Procfile runs it (the shipped config), answering on `port`."""
    process = start(
        [VENV_BIN / "gunicorn", "--config", SHIPPED_GUNICORN, "backoffice.wsgi:application"],
        env={**env, "PORT": str(port), "GUNICORN_WORKERS": str(workers)},
        log=log,
    )
    wait_for_port(port, process, log)
    return process


def nginx_conf(directory: Path, *, upstreams: Sequence[int], http: int, https: int) -> str:
    """The shipped file with only its ports, certificate and disk paths moved into `directory`,
    in the http block of a minimal nginx.conf run in the foreground. Upstreams the shipped file
    names beyond `upstreams` are dropped."""
    shipped = SHIPPED_NGINX.read_text()
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/ssl/caseload/fullchain.pem", str(directory / "fullchain.pem")),
        ("/etc/ssl/caseload/privkey.pem", str(directory / "privkey.pem")),
        ("/var/log/nginx/caseload.access.log", str(directory / "access.log")),
        ("/srv/caseload/var/static/", f"{directory}/static/"),
    ]
    for index, address in enumerate(SHIPPED_UPSTREAMS):
        port = f"127.0.0.1:{upstreams[index]}" if index < len(upstreams) else "-"
        replacements.append((f"server {address} ", f"server {port} "))
    for old, new in replacements:
        if shipped.count(old) != 1:
            raise AssertionError(f"deploy/nginx.conf no longer has {old!r} once")
        shipped = shipped.replace(old, new)
    shipped = "\n".join(line for line in shipped.splitlines() if "server - " not in line)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\nmaster_process off;\npid {directory}/nginx.pid;\nerror_log stderr;\n"
        f"events {{}}\nhttp {{\n    include /etc/nginx/mime.types;\n{temp_paths}\n{shipped}\n}}\n"
    )


def start_nginx(
    directory: Path, *, upstreams: Sequence[int], static: Path | None = None
) -> tuple[subprocess.Popen, int, ssl.SSLContext]:
    """nginx on the shipped configuration in front of gunicorn on `upstreams`, serving `static`
    (or an empty directory); its HTTPS port and a TLS context trusting its certificate (whose
    authority is also in `authority.pem`, for other clients)."""
    authority = trustme.CA()
    authority.cert_pem.write_to_path(directory / "authority.pem")
    certificate = authority.issue_cert(HOST, "127.0.0.1")
    certificate.private_key_pem.write_to_path(directory / "privkey.pem")
    (directory / "fullchain.pem").write_bytes(
        b"".join(pem.bytes() for pem in certificate.cert_chain_pems)
    )
    if static is None:
        (directory / "static").mkdir(exist_ok=True)
    else:
        (directory / "static").symlink_to(static, target_is_directory=True)
    https = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(directory, upstreams=upstreams, http=free_port(), https=https))
    log = directory / "nginx.log"
    process = start([NGINX, "-p", directory, "-c", conf, "-e", "stderr"], env=os.environ, log=log)
    wait_for_port(https, process, log)
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return process, https, context


def _maintenance(url: str):
    """An autocommit connection to the `postgres` database of `url`'s server."""
    import psycopg

    return psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_exists(url: str) -> bool:
    with _maintenance(url) as server:
        found = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)])
        return found.fetchone() is not None


def database_drop(url: str) -> None:
    with _maintenance(url) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def database_fresh(url: str, *, template: str = "template1") -> None:
    """The PostgreSQL database `url` names, dropped if there and created empty (or as a copy of
    `template`)."""
    database_drop(url)
    with _maintenance(url) as server:
        server.execute(f'CREATE DATABASE "{database_name(url)}" TEMPLATE "{template}"')
