"""Headless Chromium through Playwright against Django's live server.

Set SERVICEDESK_REQUIRE_BROWSER=1 (CI does) to turn a missing browser into a failure instead of
a skip. A failing test leaves a screenshot in var/test-artifacts/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
REQUIRED = os.environ.get("SERVICEDESK_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        if REQUIRED:
            pytest.fail(f"Playwright is not installed: {error}")
        pytest.skip("Playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


PHONE = {  # an iPhone 14-sized screen
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}


def _open_page(browser, live_server, request, **options):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = watch_content_security_policy(page)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"\nScreenshot of the failing page: {path}")
    context.close()
    assert not violations, "The page broke its Content-Security-Policy:\n" + "\n".join(violations)


def watch_content_security_policy(page) -> list[str]:
    """Collect every CSP violation the browser reports, on every page the test visits.

    The policy is on in the tests as in production, so inline code that the policy refuses (and
    that would silently not run for users) fails the test that visits the page.
    """
    violations: list[str] = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return violations


@pytest.fixture
def page(browser, live_server, request):
    yield from _open_page(browser, live_server, request, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(browser, live_server, request):
    """A page on a phone-sized touch screen (390 x 844 CSS pixels)."""
    yield from _open_page(browser, live_server, request, **PHONE)


def sign_in(page, email: str, password: str):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
