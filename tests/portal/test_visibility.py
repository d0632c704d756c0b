"""Who may open what, on every page and action of the portal: the matrix is generated from the
portal's URL patterns, so a record type's new portal page is covered without a new test.

Every portal URL that takes a record's number loads the record through its type's `visible_to`
selector and the requester (servicedesk.portal): another end user, and an agent who may see every
record at the desk, get a 404 on GET and POST and change nothing. The staff pages answer 403 to a
person without the permission they need.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Role
from catalogue import services as catalogue_services
from servicedesk.models import AuditEvent, Comment, SatisfactionRating
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.incidents.factories import incident

pytestmark = pytest.mark.django_db


def _portal_number_url_names() -> list[str]:
    """The portal's URL names whose pattern takes a record's number (its own and each record
    type's, as the registry joined them)."""
    names = []

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and "<str:number>" in str(entry.pattern):
                names.append(entry.name)

    portal = next(
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "portal"
    )
    walk(portal.url_patterns)
    return names


NUMBER_PAGES = _portal_number_url_names()


def test_the_matrix_covers_every_record_page_of_the_portal():
    assert {"incident", "reopen", "confirm", "request", "request_cancel", "rate", "record"} <= set(
        NUMBER_PAGES
    )


@pytest.fixture
def world():
    setup = laptop_setup()
    setup.incident = incident(
        actor=setup.agent, requester=setup.requester, support_group=setup.desk, title="VPN down"
    )
    setup.request = catalogue_services.request_create(
        actor=setup.requester, item=setup.item, answers=LAPTOP_ANSWERS
    )
    return setup


def _footprint(world):
    """What a refused action must leave as it was."""
    records = (world.incident, world.request)
    for record in records:
        record.refresh_from_db()
    return (
        [(r.status, r.version) for r in records],
        Comment.objects.count(),
        AuditEvent.objects.count(),
        SatisfactionRating.objects.count(),
    )


@pytest.mark.parametrize("url_name", NUMBER_PAGES)
@pytest.mark.parametrize("who", ["stranger", "agent"])
def test_nobody_but_the_requester_opens_a_record_on_any_portal_page(client, world, url_name, who):
    client.force_login(getattr(world, who))
    before = _footprint(world)
    for record in (world.incident, world.request):
        url = reverse(f"portal:{url_name}", kwargs={"number": record.number})
        got = client.get(url)
        # A page that only takes a POST answers 405 to any GET, whosever the record.
        assert got.status_code in (404, 405), (url, got.status_code)
        posted = client.post(
            url, {"body": "Mine now", "reason": "Mine now", "score": "5", "comment": "x"}
        )
        assert posted.status_code == 404, (url, posted.status_code)
    assert _footprint(world) == before


@pytest.mark.parametrize("url_name", NUMBER_PAGES)
def test_the_requester_reaches_the_pages_of_their_own_records(client, world, url_name):
    client.force_login(world.requester)
    reached = 0
    for record in (world.incident, world.request):
        url = reverse(f"portal:{url_name}", kwargs={"number": record.number})
        if client.get(url).status_code in (200, 302, 405):
            reached += 1
    assert reached >= 1, url_name  # each page serves at least one of the two types


def test_an_unknown_or_unshown_number_is_a_404(client, world):
    client.force_login(world.requester)
    for number in ("INC9999999", "XYZ0000001", "TSK0000001", world.request.number.lower()):
        assert client.get(reverse("portal:record", kwargs={"number": number})).status_code == 404
        assert client.post(reverse("portal:rate", kwargs={"number": number})).status_code == 404


# --- The staff pages --------------------------------------------------------------------------


def _staff_pages(world):
    task = world.request.tasks.order_by("pk").first()
    pages = [
        reverse("incidents:detail", kwargs={"number": world.incident.number}),
        reverse("incidents:comment", kwargs={"number": world.incident.number}),
        reverse("catalogue:request", kwargs={"number": world.request.number}),
        reverse("catalogue:request_close", kwargs={"number": world.request.number}),
    ]
    if task is not None:
        pages += [
            reverse("catalogue:task", kwargs={"number": task.number}),
            reverse("catalogue:task_action", kwargs={"number": task.number}),
        ]
    return pages


def test_an_end_user_opens_no_staff_page_of_their_own_records(client, world):
    client.force_login(world.requester)
    before = _footprint(world)
    for url in _staff_pages(world):
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, {"body": "x", "note": "x"}).status_code == 403, url
    assert _footprint(world) == before


def test_a_workspace_user_without_the_request_permission_opens_no_request_page(
    client, world, make_user
):
    """The agent workspace alone is not enough for the requests' and tasks' pages."""
    clerk = make_user(Role.END_USER)
    clerk.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="use_agent_workspace")
    )
    client.force_login(clerk)
    for url in _staff_pages(world)[2:]:
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, {"body": "x", "note": "x"}).status_code == 403, url
