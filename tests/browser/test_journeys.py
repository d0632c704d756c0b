"""First journeys in a real browser: signing in by role, a wrong password, switching to Persian."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

HOME_BY_ROLE = {
    Role.END_USER: ("/portal/", "How can we help"),
    Role.AGENT: ("/workspace/", "Agent workspace"),
    Role.GROUP_LEAD: ("/workspace/", "Agent workspace"),
    Role.PROBLEM_MANAGER: ("/workspace/", "Agent workspace"),
    Role.CHANGE_MANAGER: ("/workspace/", "Agent workspace"),
    Role.CAB_MEMBER: ("/workspace/", "Agent workspace"),
    Role.DESK_MANAGER: ("/dashboards/", "Service levels"),
    Role.ADMINISTRATOR: ("/admin/", "Site administration"),
}


@pytest.mark.parametrize("role", list(HOME_BY_ROLE))
def test_each_role_signs_in_and_lands_on_its_home_page(page, live_server, make_user, role):
    extra = {"is_staff": True} if role == Role.ADMINISTRATOR else {}
    user = make_user(role, email=f"{role}@example.com", full_name="Robin Role", **extra)
    path, heading = HOME_BY_ROLE[role]

    sign_in(page, user.email, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


def test_wrong_password_shows_a_clear_message_and_stays_signed_out(page, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")

    sign_in(page, user.email, "not-the-password")

    expect(page.get_by_role("alert")).to_contain_text(
        "That e-mail address and password do not match an account"
    )
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("E-mail address")).to_have_value("agent@example.com")


def test_switching_to_persian_gives_a_right_to_left_page_that_mirrors(page, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    sign_in(page, user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agent workspace")
    brand_ltr = page.locator(".brand").bounding_box()

    page.get_by_label("Language").select_option("fa")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.get_by_role("heading", level=1)).to_have_text("میز کار کارشناس")
    brand_rtl = page.locator(".brand").bounding_box()
    width = page.viewport_size["width"]
    assert brand_ltr["x"] < width / 4, "the brand starts on the left in English"
    assert brand_rtl["x"] > width * 3 / 4, "the brand moves to the right in Persian"
    user.refresh_from_db()
    assert user.language == "fa", "the choice is kept in the profile"


def test_simplified_chinese_is_offered_and_applied(page, make_user):
    user = make_user(Role.END_USER, email="user@example.com")
    sign_in(page, user.email, PASSWORD)
    # The sign-in page has the language menu too: choose only once the portal is there.
    expect(page).to_have_url(re.compile(r"/portal/"))
    # The menu submits itself through app.js, a deferred script: a choice made before it has
    # run changes nothing. The load event comes after every deferred script.
    page.wait_for_load_state("load")

    page.get_by_label("Language").select_option("zh-hans")

    # The switch posts, redirects and draws the portal again: slow on a loaded machine.
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans", timeout=30_000)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("link", name="自助服务门户")).to_be_visible()
