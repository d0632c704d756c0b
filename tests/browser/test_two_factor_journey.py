"""Two-factor set-up in a real browser: an agent whose role requires it signs in, is held on the
set-up page, scans (reads) the secret, confirms with a code computed like an authenticator app
(pyotp), keeps the recovery codes and reaches the workspace; next time a code is asked."""

import re
import time

import pyotp
import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts import mfa
from accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


@pytest.fixture
def agent_who_must_use_two_factor(make_user):
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, email="admin@example.com")
    mfa.two_factor_requirement_set(
        role=Group.objects.get(name=Role.AGENT), required=True, actor=admin
    )
    return make_user(Role.AGENT, email="agent@example.com", full_name="Arash Agent")


def test_two_factor_setup_journey(page, live_server, agent_who_must_use_two_factor, settings):
    # After a wrong code django-otp makes the next wait a second; a person takes longer to type.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    agent = agent_who_must_use_two_factor

    sign_in(page, agent.email, PASSWORD)

    expect(page).to_have_url(re.compile(r"/accounts/security/two-factor/setup/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator("[data-test=two-factor-required]")).to_be_visible()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert _drawn_width(page, "img.qr-code") > 0
    page.goto("/workspace/")  # held on the set-up page
    expect(page).to_have_url(re.compile(r"/accounts/security/two-factor/setup/"))

    secret = page.locator("[data-test=totp-secret]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")

    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()

    expect(page.locator(".messages")).to_contain_text("Two-factor sign-in is on.")
    codes = page.locator("[data-test=recovery-codes] li")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page).to_have_url(f"{live_server.url}/workspace/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agent workspace")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, agent.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    code = page.get_by_label("Code")
    expect(code).to_be_focused()
    code.fill(totp.at(time.time() + 30))  # the next code: the one just used never works twice
    code.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/workspace/")


def _answer_late(route) -> None:
    time.sleep(1.5)
    route.continue_()


def _drawn_width(page, selector: str, seconds: float = 10.0) -> int:
    """The image's natural width once the browser has loaded it (0 if it never does): on a busy
    machine the SVG can arrive after the page is visible."""
    deadline = time.monotonic() + seconds
    width = 0
    while time.monotonic() < deadline:
        width = page.evaluate(f"document.querySelector({selector!r}).naturalWidth")
        if width:
            break
        time.sleep(0.1)
    return width


def test_a_security_key_as_the_second_factor(page, live_server, agent_who_must_use_two_factor):
    """With a (virtual) security key: added on the set-up page, used at the next sign-in."""
    agent = agent_who_must_use_two_factor
    # The keys' scripts need their translation catalog: answer it late, as a busy server does,
    # so a button that works before the catalog is there (a click that does nothing) shows.
    page.route(re.compile(r"/accounts/webauthn/jsi18n/"), _answer_late)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {"options": {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
                     "hasUserVerification": True, "isUserVerified": True,
                     "automaticPresenceSimulation": True}},
    )  # fmt: skip

    sign_in(page, agent.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/security/two-factor/setup/"))
    page.get_by_role("button", name="Add a security key or passkey").click()
    # The ceremony (options, the virtual key, the check) took over 15 s once on a loaded machine.
    expect(page.locator("#passkey-register-status-message")).to_contain_text(
        "Registration successful", timeout=45_000
    )
    page.goto("/accounts/security/")  # no longer held on the set-up page
    expect(page.locator("[data-test=security-key]")).to_have_count(1)
    expect(page.locator("[data-test=two-factor-status]")).to_contain_text("security key")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, agent.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    page.get_by_role("button", name="Use a security key or passkey").click()
    expect(page).to_have_url(f"{live_server.url}/workspace/", timeout=45_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agent workspace")

    from accounts.security_models import SecurityEvent

    kinds = list(SecurityEvent.objects.filter(user=agent).values_list("kind", "detail__method"))
    assert ("two_factor_enabled", "security key") in kinds
    assert ("two_factor_verified", "security key") in kinds
