"""What unfold did on every row of a list page, done once a page (backoffice/admin_rows.py,
docs/quality.md Under load): the column headers, and each label's rendering. Every cell is
still labelled with its column, and every label shows in the page's language."""

from importlib.metadata import version

import pytest
from django.urls import reverse
from unfold import utils as unfold_utils
from unfold.templatetags import unfold_list

from backoffice.admin_rows import UNFOLD_VERSION, rendered_labels
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def test_the_shims_are_for_the_installed_unfold():
    # On an upgrade: check whether unfold still builds the headers once a row, then keep the
    # shim with the new version, or remove it.
    assert version("django-unfold") == UNFOLD_VERSION


def headers_built(admin_client, monkeypatch, rows: int) -> tuple[int, str]:
    """(how many times a column header was worked out, the page) for a list of `rows` rows."""
    InvoiceFactory.create_batch(rows)
    calls = 0
    label_for_field = unfold_list.label_for_field

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return label_for_field(*args, **kwargs)

    monkeypatch.setattr(unfold_list, "label_for_field", counted)
    response = admin_client.get(reverse("admin:billing_invoice_changelist"))
    assert response.status_code == 200
    return calls, response.content.decode()


def test_a_list_page_works_out_its_headers_once_whatever_its_rows(admin_client, monkeypatch):
    few, _page = headers_built(admin_client, monkeypatch, 2)
    many, page = headers_built(admin_client, monkeypatch, 8)
    assert few == many
    assert page.count('data-label="bill to"') == 10


def test_a_label_is_rendered_once_in_each_language(admin_client, monkeypatch):
    InvoiceFactory.create_batch(6)
    rendered_labels.clear()
    rendered = []
    render_to_string = unfold_utils.render_to_string

    def counted(template_name, context=None, *args, **kwargs):
        rendered.append(str(context.get("label")) if template_name.endswith("label.html") else "")
        return render_to_string(template_name, context, *args, **kwargs)

    monkeypatch.setattr(unfold_utils, "render_to_string", counted)
    url = reverse("admin:billing_invoice_changelist")
    english = admin_client.get(url).content.decode()
    french = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
    assert rendered.count("Draft") == rendered.count("Brouillon") == 1
    assert english.count("\nDraft\n</span>") == french.count("\nBrouillon\n</span>") == 6
