"""Stored documents: unguessable names, no public /media/, every download behind the reader's
permission, and on S3 a redirect to a signed URL that lasts a minute (docs/security.md, Stored
files)."""

import importlib
import io
import re
import runpy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pypdf
import pytest
import requests
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.caseload.services import authorization_renewal_submit
from backoffice.documents.storage import store_document
from tests.factories import AuthorizationFactory, TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db

UNGUESSABLE = r"renewals/[\w-]{32}\.pdf"
BUCKET = "caseload-documents"


def pdf_titled(title: str) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    content = io.BytesIO()
    writer.write(content)
    return content.getvalue()


def pdf_title(content: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(content)).metadata.title


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def therapist_a():
    return TherapistFactory()


@pytest.fixture
def renewal(therapist_a):
    """Therapist A's client's authorization, its renewal document uploaded under a telling name."""
    authorization = AuthorizationFactory(
        client__primary_therapist=therapist_a,
        client__last_name="Nguyen",
        reference_number="WSB 2026/00417",
    )
    return authorization_renewal_submit(
        authorization=authorization,
        submitted_at=timezone.now(),
        document=SimpleUploadedFile(
            "Nguyen-renewal-2026-00417.pdf", pdf_titled("Treatment plan"), "application/pdf"
        ),
    )


def admin_url(authorization) -> str:
    return reverse("admin:caseload_authorization_renewal_document", args=[authorization.pk])


def portal_url(authorization) -> str:
    return reverse("portal:renewal_document", args=[authorization.pk])


def staff(role: Role | None):
    if role is None:
        return UserFactory(is_staff=True)
    return user_create(username=f"staff-{role.value}", role=role)


def kept_by_no_cache(response) -> bool:
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= directives


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Names ---------------------------------------------------------------------------------


def test_a_stored_document_has_a_random_name_saying_nothing_of_its_client(renewal):
    name = renewal.renewal_document.name
    assert re.fullmatch(UNGUESSABLE, name)
    assert "Nguyen" not in name and "00417" not in name and "2026" not in name


def test_two_documents_never_share_a_name():
    first, second = (store_document("invoices", b"%PDF-1.4") for _ in range(2))
    assert first != second
    assert re.fullmatch(r"invoices/[\w-]{32}\.pdf", first)


# --- No public /media/ ---------------------------------------------------------------------


def test_media_is_not_served_even_in_debug(client, settings, renewal):
    settings.DEBUG = True
    urls = importlib.import_module(settings.ROOT_URLCONF)
    try:
        importlib.reload(urls)
        clear_url_caches()
        response = client.get(f"/media/{renewal.renewal_document.name}")
    finally:
        settings.DEBUG = False
        importlib.reload(urls)
        clear_url_caches()
    assert response.status_code == 404


# --- Who gets the document -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, renewal):
    admin = client.get(admin_url(renewal))
    assert admin.status_code == 302 and admin["Location"].startswith(reverse("admin:login"))
    portal = client.get(portal_url(renewal))
    assert portal.status_code == 302 and portal["Location"].startswith(reverse("portal:login"))


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.FINANCE, Role.ADMIN])
def test_staff_who_see_authorizations_download_the_document(client, roles, renewal, role):
    client.force_login(staff(role))

    response = client.get(admin_url(renewal))

    assert response.status_code == 200
    assert pdf_title(downloaded(response)) == "Treatment plan"
    assert response["Content-Disposition"] == 'attachment; filename="renewal-wsb-202600417.pdf"'
    assert kept_by_no_cache(response)
    assert response["X-Content-Type-Options"] == "nosniff"


def test_each_download_is_in_the_access_log(client, roles, therapist_a, renewal):
    reader = staff(Role.READ_ONLY)
    client.force_login(reader)
    client.get(admin_url(renewal))
    client.force_login(therapist_a.user)
    client.get(portal_url(renewal))

    logged = AccessRecord.objects.filter(what=AccessKind.DOCUMENT, object_id=renewal.pk)
    assert sorted(logged.values_list("user_id", "client_id")) == sorted(
        [(reader.pk, renewal.client_id), (therapist_a.user_id, renewal.client_id)]
    )


def test_staff_without_the_permission_are_refused(client, roles, renewal):
    client.force_login(staff(None))
    assert client.get(admin_url(renewal)).status_code == 403


def test_an_authorization_without_a_document_has_none_to_download(client, roles):
    client.force_login(staff(Role.ADMIN))
    assert client.get(admin_url(AuthorizationFactory())).status_code == 404


def test_the_admin_links_the_protected_download_not_the_stored_file(client, roles, renewal):
    client.force_login(staff(Role.READ_ONLY))

    page = client.get(reverse("admin:caseload_authorization_change", args=[renewal.pk]))

    html = page.content.decode()
    assert admin_url(renewal) in html
    assert renewal.renewal_document.name not in html


def test_the_therapist_downloads_their_clients_document(client, therapist_a, renewal):
    client.force_login(therapist_a.user)

    response = client.get(portal_url(renewal))

    assert response.status_code == 200
    assert pdf_title(downloaded(response)) == "Treatment plan"
    assert kept_by_no_cache(response)
    assert client.get(admin_url(renewal)).status_code == 302, "the admin is for staff"


def test_another_therapist_gets_404(client, renewal):
    client.force_login(TherapistFactory().user)
    assert client.get(portal_url(renewal)).status_code == 404


def test_a_client_gets_no_renewal_document_not_even_their_own(client, renewal):
    person = renewal.client
    person.user = user_create(username="client-nguyen", role=Role.CLIENT)
    person.save(update_fields=["user"])
    client.force_login(person.user)

    assert client.get(portal_url(renewal)).status_code == 403
    assert client.get(admin_url(renewal)).status_code == 302


# --- S3 --------------------------------------------------------------------------------------


@pytest.fixture
def s3(settings, monkeypatch):
    """A loopback S3 (moto's server), the default storage configured as in production."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for variable, value in {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(variable, value)
    production = runpy.run_path(str(Path(settings.BASE_DIR) / "backoffice" / "settings.py"))
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="ca-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ca-central-1"})
    settings.STORAGES = {**settings.STORAGES, "default": production["STORAGES"]["default"]}
    yield endpoint
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)  # moto keeps buckets per process
    server.stop()


def test_on_s3_staff_are_sent_to_a_signed_url_that_lasts_a_minute(client, roles, renewal, s3):
    document = AuthorizationFactory(client=renewal.client)
    authorization_renewal_submit(
        authorization=document,
        submitted_at=timezone.now(),
        document=SimpleUploadedFile("plan.pdf", pdf_titled("On S3"), "application/pdf"),
    )
    name = document.renewal_document.name
    assert re.fullmatch(UNGUESSABLE, name) and default_storage.exists(name)
    reader = staff(Role.READ_ONLY)
    client.force_login(reader)

    response = client.get(admin_url(document))

    assert response.status_code == 302
    assert kept_by_no_cache(response)
    assert AccessRecord.objects.filter(
        user=reader, what=AccessKind.DOCUMENT, client=renewal.client
    ).exists(), "the redirect hands the document over: it is in the access log"
    signed = response["Location"]
    assert signed.startswith(s3)
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-Signature"] and query["X-Amz-Credential"]
    fetched = requests.get(signed, timeout=10)
    assert fetched.status_code == 200
    assert pdf_title(fetched.content) == "On S3"
    assert "renewal-" in fetched.headers["Content-Disposition"]
    assert fetched.headers["Cache-Control"] == "private, no-store"


def test_the_bucket_gives_nothing_without_a_signature(renewal, s3):
    document = AuthorizationFactory(client=renewal.client)
    authorization_renewal_submit(
        authorization=document,
        submitted_at=timezone.now(),
        document=SimpleUploadedFile("plan.pdf", pdf_titled("On S3"), "application/pdf"),
    )
    unsigned = f"{s3}/{BUCKET}/{document.renewal_document.name}"
    assert requests.get(unsigned, timeout=10).status_code == 403


# --- Documents stored before ----------------------------------------------------------------


def test_documents_uploaded_under_their_own_names_move_to_random_ones():
    old = default_storage.save("renewals/2026/11/Nguyen-renewal.pdf", ContentFile(b"%PDF-1.4"))
    authorization = AuthorizationFactory(renewal_document=old)
    migration = importlib.import_module(
        "backoffice.caseload.migrations.0011_renewal_documents_unguessable"
    )

    migration.rename_renewal_documents(apps, None)

    authorization.refresh_from_db()
    assert re.fullmatch(UNGUESSABLE, authorization.renewal_document.name)
    assert authorization.renewal_document.read() == b"%PDF-1.4"
    assert not default_storage.exists(old)
