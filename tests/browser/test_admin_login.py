"""A person signs in to the admin and sees the sidebar grouped by the clinic's work."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIDEBAR_GROUPS = ["Worklist", "Scheduling", "Clients", "Billing", "Payouts", "Privacy", "Settings"]


def test_superuser_logs_in_and_sees_sidebar_groups(
    live_server, superuser_credentials, admin_login, artifacts_dir
):
    page = admin_login(*superuser_credentials)

    # The login posts no `next`, so it lands on LOGIN_REDIRECT_URL (/portal/), which sends
    # staff on to the admin index.
    assert page.url == f"{live_server.url}/admin/", page.url
    sidebar = page.locator("#nav-sidebar-apps")
    expect(sidebar).to_be_visible()
    group_titles = sidebar.locator("h2")
    # Unfold hides a group until its stylesheet applies, so "visible" also means CSS loaded.
    for title in SIDEBAR_GROUPS:
        expect(group_titles.filter(has_text=title).first).to_be_visible()
    assert [t.strip() for t in group_titles.all_text_contents()] == SIDEBAR_GROUPS

    appointments = sidebar.locator('a[href="/admin/scheduling/appointment/"]')
    expect(appointments).to_be_visible()
    expect(appointments).to_contain_text("Appointments")

    # Tall enough that the sidebar's scroll area shows every group without clipping.
    page.set_viewport_size({"width": 1440, "height": 1200})
    page.screenshot(path=str(artifacts_dir / "admin-sidebar.png"), full_page=True)
