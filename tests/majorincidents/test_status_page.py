"""The status pages: what they show (never titles, notes or agents), uptime from outages, who
reads which page, public pages only when allowed, subscriptions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Service
from incidents.models import Incident
from majorincidents import selectors, services
from majorincidents.models import ServiceStatus, StatusSubscription
from servicedesk.notifications import deliver_pending

pytestmark = pytest.mark.django_db


def test_uptime_comes_from_the_outages_of_the_last_90_days(desk):
    now = timezone.now()
    Incident.objects.filter(pk=desk["major"].pk).update(
        service=desk["payroll"], outage_started_at=now - timedelta(hours=9), outage_ended_at=now - timedelta(hours=0)
    )  # fmt: skip
    page = selectors.status_page(service=desk["payroll"], now=now)
    assert page["uptime"] == round(100 * (90 * 24 - 9) / (90 * 24), 3)
    assert [i.number for i in page["current"]] == [desk["major"].number]


def test_the_public_page_shows_updates_but_no_title_note_or_agent(client, desk):
    services.update_post(
        incident=desk["major"], actor=desk["agent"], text="We are on it.", health="degraded"
    )
    url = reverse("majorincidents:public", args=[desk["payroll"].pk])
    assert client.get(url).status_code == 404, "off by default"
    ServiceStatus.objects.filter(service=desk["payroll"]).update(public=True)
    page = client.get(url).content.decode()
    assert "We are on it." in page and "Degraded performance" in page
    assert "Payroll database down" not in page
    assert desk["agent"].full_name not in page
    technical = Service.objects.create(name="Backups", kind="technical")
    ServiceStatus.objects.create(service=technical, public=True)
    assert client.get(reverse("majorincidents:public", args=[technical.pk])).status_code == 404


def test_end_users_read_the_pages_of_their_services_in_the_portal(client, desk):
    restricted = Service.objects.create(name="Board portal")
    restricted.audience_organisations.add(desk["agent"].organisation or _org())
    user = desk["users"][0]
    client.force_login(user)
    overview = client.get(reverse("majorincidents:overview")).content.decode()
    assert "Payroll" in overview and "Board portal" not in overview
    assert client.get(reverse("majorincidents:page", args=[restricted.pk])).status_code == 404
    home = client.get(reverse("portal:home")).content.decode()
    assert reverse("majorincidents:overview") in home, "the portal's menu links the status"


def _org():
    from accounts.models import Organisation

    return Organisation.objects.create(name="Board")


def test_a_person_follows_and_stops_following(client, desk):
    user = desk["users"][0]
    client.force_login(user)
    url = reverse("majorincidents:subscribe", args=[desk["payroll"].pk])
    client.post(url)
    assert StatusSubscription.objects.filter(user=user, service=desk["payroll"]).exists()
    client.post(url, {"stop": "1"})
    assert not StatusSubscription.objects.exists()


def test_a_public_address_hears_of_updates_only_once_confirmed(client, desk, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ServiceStatus.objects.create(service=desk["payroll"], public=True)
    url = reverse("majorincidents:public_subscribe", args=[desk["payroll"].pk])
    assert client.post(url, {"email": "not-an-address"}).status_code == 400
    client.post(url, {"email": "Press@Example.net"})
    row = StatusSubscription.objects.get()
    assert row.email == "press@example.net" and not row.confirmed
    assert selectors.subscribers(desk["payroll"]) == ([], [])
    deliver_pending()
    assert row.token in mail.outbox[-1].body
    client.post(reverse("majorincidents:confirm", args=[row.token]))
    assert selectors.subscribers(desk["payroll"]) == ([], ["press@example.net"])
    client.post(reverse("majorincidents:cancel", args=[row.token]))
    assert not StatusSubscription.objects.exists()


def test_opening_the_confirmation_link_confirms_nothing_until_the_button_is_pressed(client, desk):
    """A mail scanner that follows every link must not subscribe an address: the GET shows a
    button, only its POST confirms; a token that names no address's subscription is a 404."""
    ServiceStatus.objects.create(service=desk["payroll"], public=True)
    row = StatusSubscription.objects.create(service=desk["payroll"], email="press@example.net")
    url = reverse("majorincidents:confirm", args=[row.token])
    page = client.get(url)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode() and "Payroll" in page.content.decode()
    row.refresh_from_db()
    assert not row.confirmed
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("majorincidents:public", args=[desk["payroll"].pk])
    row.refresh_from_db()
    assert row.confirmed
    person = StatusSubscription.objects.create(service=desk["payroll"], user=desk["users"][0])
    for token in ("no-such-token", person.token):
        assert client.get(reverse("majorincidents:confirm", args=[token])).status_code == 404
        assert client.post(reverse("majorincidents:confirm", args=[token])).status_code == 404


def test_the_room_and_the_status_page_take_a_bounded_number_of_queries(
    client, desk, django_assert_max_num_queries
):
    for n in range(3):
        services.update_post(
            incident=desk["major"], actor=desk["agent"], text=f"Update {n}", health="degraded"
        )
    client.force_login(desk["agent"])
    with django_assert_max_num_queries(24):
        client.get(reverse("majorincidents:room", args=[desk["major"].number]))
    ServiceStatus.objects.filter(service=desk["payroll"]).update(public=True)
    client.logout()
    with django_assert_max_num_queries(6):
        page = client.get(reverse("majorincidents:public", args=[desk["payroll"].pk]))
    assert page.content.decode().count('data-test="page-update"') == 3


def test_the_portal_home_shows_the_users_services_with_a_problem(client, desk):
    user = desk["users"][0]
    client.force_login(user)
    assert 'data-test="portal-status"' not in client.get(reverse("portal:home")).content.decode()
    services.update_post(
        incident=desk["major"], actor=desk["agent"], text="Slow payslips.", health="degraded"
    )
    home = client.get(reverse("portal:home")).content.decode()
    assert 'data-test="portal-status"' in home and "Degraded performance" in home
    assert reverse("majorincidents:page", args=[desk["payroll"].pk]) in home
