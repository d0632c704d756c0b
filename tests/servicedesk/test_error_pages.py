"""Error pages in the site's layout and the reader's language, and nothing that promises the
change pages before they exist."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.roles import Role

pytestmark = pytest.mark.django_db

IN_LAYOUT = ('<header class="topbar">', '<span class="brand-name">', 'class="footer"')


def in_layout(html: str) -> bool:
    return all(part in html for part in IN_LAYOUT)


@pytest.mark.parametrize("url", ["/changes/", "/no-such-page/"])
def test_changes_and_unknown_pages_are_a_plain_404_in_the_layout(client, make_user, url):
    client.force_login(make_user(Role.AGENT))

    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert in_layout(html)
    assert "We could not find that page" in html
    assert "URLconf" not in html


def test_the_404_page_speaks_the_readers_language(client, make_user):
    client.force_login(make_user(Role.AGENT))
    client.post("/accounts/language/", {"language": "fa", "next": "/"})

    html = client.get("/changes/").content.decode()

    assert 'dir="rtl"' in html
    assert "این صفحه را پیدا نکردیم" in html  # "We could not find that page"


def test_the_403_page_is_in_the_layout_and_translated(client, make_user):
    client.force_login(make_user(Role.END_USER))
    client.post("/accounts/language/", {"language": "fa", "next": "/"})

    response = client.get("/workspace/")

    assert response.status_code == 403
    html = response.content.decode()
    assert in_layout(html)
    assert "شما اجازهٔ باز کردن این صفحه را ندارید" in html  # "You may not open this page"


def test_the_500_page_is_in_the_layout_and_the_readers_language(settings, make_user):
    settings.ROOT_URLCONF = "tests.servicedesk.urls_with_errors"
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="fa")

    response = client.get("/fails/")

    assert response.status_code == 500
    html = response.content.decode()
    assert in_layout(html)
    assert 'lang="fa" dir="rtl"' in html
    assert 'href="/"' in html  # the way home
    assert '<select id="language-select"' not in html  # no languages to offer without a context


def test_a_suspicious_request_is_a_400_page_in_the_layout(settings):
    settings.ROOT_URLCONF = "tests.servicedesk.urls_with_errors"

    response = Client().get("/suspicious/")

    assert response.status_code == 400
    assert in_layout(response.content.decode())


def test_nothing_links_to_changes(client, make_user):
    for role in (Role.AGENT, Role.PROBLEM_MANAGER, Role.CHANGE_MANAGER, Role.ADMINISTRATOR):
        client.force_login(make_user(role))
        html = client.get("/", follow=True).content.decode()
        assert 'href="/changes/' not in html


def test_the_api_description_promises_no_changes(client, make_user):
    client.force_login(make_user(Role.AGENT))

    schema = client.get("/api/schema/", {"format": "json"}).json()

    description = schema["info"]["description"].lower()
    assert "change" not in description
    assert not [p for p in schema["paths"] if p.startswith("/api/v1/changes")]


def test_every_page_links_the_favicon_and_it_is_served(client, make_user):
    client.force_login(make_user(Role.ADMINISTRATOR))
    for url in ("/accounts/login/", "/workspace/", "/portal/", "/admin/", "/problems/"):
        html = client.get(url, follow=True).content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, url
    assert client.get("/favicon.ico").url == "/static/favicon.svg"
    assert "/static/favicon.svg" in client.get("/api/docs/").content.decode()
    found = finders.find("favicon.svg")  # what collectstatic copies and whitenoise serves
    assert found and Path(found).read_text().startswith("<svg")
