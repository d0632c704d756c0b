"""Every response carries the security headers: CSP without inline scripts, Permissions-Policy,
Referrer-Policy."""

import pytest


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/docs/", "/health/"])
def test_responses_carry_the_security_headers(client, db, path):
    # The sign-in page reads its "Sign in with …" providers from the database.
    response = client.get(path)

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
