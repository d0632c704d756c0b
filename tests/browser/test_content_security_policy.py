"""The pages keep to the Content-Security-Policy: no inline script, no eval, nothing from elsewhere.

Every browser test watches for violations (conftest.py); these prove the watch works and walk the
pages that no journey visits.
"""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.browser.conftest import sign_in, watch_content_security_policy
from tests.factories import PASSWORD


def test_an_inline_script_is_refused_and_reported(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations = watch_content_security_policy(page)

    def add_inline_script(route):
        response = route.fetch()
        body = response.text().replace("</body>", "<script>document.title = 'ran';</script></body>")
        route.fulfill(response=response, body=body)

    page.route("**/accounts/login/", add_inline_script)
    page.goto("/accounts/login/")

    assert page.title() != "ran", "the inline script ran: the policy did not apply"
    page.wait_for_timeout(200)  # the console report arrives just after the load
    assert any("script-src" in violation for violation in violations), violations
    context.close()


@pytest.mark.parametrize("path", ["/api/docs/", "/admin/login/"])
def test_pages_no_journey_visits_keep_the_policy(page, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")


def test_the_api_docs_draw_the_operations(page, make_user):
    make_user(Role.AGENT, email="docs@example.com")
    sign_in(page, "docs@example.com", PASSWORD)
    page.goto("/api/docs/")
    # Swagger UI is drawn by its script from our static files: with the policy on, it still runs.
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
