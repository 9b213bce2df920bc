"""Finance imports a payer's remittance: checks it, ticks its identical rows, records it; the
same file again is refused row by row; a preview cancelled leaves no file behind."""

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from backoffice.billing.models import Payment
from backoffice.billing.services.imports import STAGED_DIR
from tests.billing.test_finance_import import GOOD, books, csv_file  # noqa: F401 (books: fixture)

pytestmark = pytest.mark.browser


def staged_files() -> list[str]:
    try:
        return default_storage.listdir(STAGED_DIR)[1]
    except FileNotFoundError:
        return []


def check_the_file(page, url, content: bytes):
    page.goto(url)
    page.set_input_files(
        "input[name=file]",
        {"name": "remittance.csv", "mimeType": "text/csv", "buffer": content},
    )
    with page.expect_navigation():
        page.locator("button[name=_preview]").click()


@pytest.mark.usefixtures("books")
def test_import_a_remittance_then_the_same_again(
    live_server, superuser_credentials, admin_login, artifacts_dir, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    url = f"{live_server.url}/admin/billing/payment/import/"
    page = admin_login(*superuser_credentials)

    check_the_file(page, url, csv_file(GOOD))
    expect(page.locator("#import-summary")).to_contain_text("4 rows would record 2 payment(s)")
    repeated = page.locator("#import-repeated")
    expect(repeated).to_contain_text("lines 2, 3")
    page.screenshot(path=str(artifacts_dir / "payments-import-preview.png"), full_page=True)

    page.locator("button[name=_confirm]").click()  # the box is not ticked: the browser says so
    expect(page.locator("input[name=repeated_rows_confirmed]")).to_be_visible()
    assert not page.evaluate(
        "document.querySelector('[name=repeated_rows_confirmed]').validity.valid"
    )
    assert not Payment.objects.exists()

    repeated.locator("input[name=repeated_rows_confirmed]").check()
    with page.expect_navigation():
        page.locator("button[name=_confirm]").click()
    assert page.url == f"{live_server.url}/admin/billing/payment/"
    expect(page.get_by_text("2 payment(s) recorded from 4 row(s), $450.00 in all.")).to_be_visible()
    assert Payment.objects.count() == 2
    assert staged_files() == []

    check_the_file(page, url, csv_file(GOOD))
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("4 problems: nothing was saved.")
    expect(problems).to_contain_text("Already recorded: the payment of 2026-04-10")
    expect(page.locator("button[name=_confirm]")).to_have_count(0)
    page.screenshot(
        path=str(artifacts_dir / "payments-import-already-recorded.png"), full_page=True
    )

    check_the_file(page, url, csv_file([[*GOOD[3][:3], "2026-04-12", "eft", "EFT-77"]]))
    assert len(staged_files()) == 1
    with page.expect_navigation():
        page.locator("button[name=_cancel]").click()
    expect(page.get_by_text("Import cancelled: nothing was recorded.")).to_be_visible()
    assert staged_files() == []
    assert Payment.objects.count() == 2
