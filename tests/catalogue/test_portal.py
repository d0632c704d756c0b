"""The portal pages of the request process through the Django test client: the catalogue and
its audience, ordering through the item's form (field errors), my requests, approvals in the
portal and from the signed e-mail link, ratings, and what an end user never sees."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from catalogue import services
from catalogue.models import RequestStatus, ServiceStatus, TaskStatus
from servicedesk.approvals.links import approval_token
from servicedesk.models import Comment, Decision, Notification, SatisfactionRating, Visibility
from servicedesk.notifications import deliver_pending
from tests.catalogue.factories import LAPTOP_ANSWERS, ItemFactory, ServiceFactory, laptop_setup
from tests.factories import OrganisationFactory


@pytest.fixture
def world(db):
    return laptop_setup()


@pytest.fixture
def emma(client, world):
    client.force_login(world.requester)
    return client


def html(response) -> str:
    return response.content.decode()


def order(world, **kw):
    return services.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS, **kw
    )


class TestCatalogue:
    def test_shows_live_business_services_meant_for_the_person(self, emma, world):
        ServiceFactory(name="Pipeline thing", status=ServiceStatus.PIPELINE)
        ServiceFactory(name="Backup engine", kind="technical")
        elsewhere = ServiceFactory(name="Other company ERP")
        elsewhere.audience_organisations.add(OrganisationFactory())
        mine = ServiceFactory(name="Our ERP")
        mine.audience_organisations.add(world.requester.organisation)

        page = html(emma.get("/portal/catalogue/"))

        assert "Client service" in page and "Our ERP" in page
        assert "Order: Laptop" in page and "Pipeline thing" not in page
        assert "Backup engine" not in page and "Other company ERP" not in page
        assert emma.get(f"/portal/catalogue/{elsewhere.pk}/").status_code == 404

    def test_search_finds_items_and_services(self, emma, world):
        page = html(emma.get("/portal/search/", {"q": "laptop"}))
        assert "Laptop" in page and f"/portal/order/{world.item.pk}/" in page

    def test_the_service_page_shows_prices_and_charging_basis(self, emma, world):
        page = html(emma.get(f"/portal/catalogue/{world.service.pk}/"))
        assert "Standard laptop" in page and "1200 one-off" in page


class TestOrder:
    def url(self, world):
        return f"/portal/order/{world.item.pk}/"

    def test_missing_and_bad_answers_are_named_beside_their_fields(self, emma, world):
        response = emma.post(self.url(world), {"model": "17-inch", "quantity": "9"})

        assert response.status_code == 200
        form = response.context["form"]
        assert "needed_by" in form.errors and "model" in form.errors
        assert "quantity" in form.errors  # above the maximum of 3
        assert not world.item.requests.exists()
        assert "Please correct the fields marked below." in html(response)

    def test_a_valid_order_registers_the_request_and_asks_the_manager(self, emma, world):
        response = emma.post(
            self.url(world),
            {
                "model": "16-inch",
                "needed_by": "2030-02-01",
                "quantity": "1",
                "reason": "Mine broke",
            },
        )

        record = world.item.requests.get()
        assert response.status_code == 302 and response.url == f"/portal/requests/{record.number}/"
        assert record.answers["model"]["text"] == "16-inch"
        assert record.answers["quantity"]["text"] == "1"
        assert record.status == RequestStatus.AWAITING_APPROVAL
        page = html(emma.get(response.url))
        assert "Awaiting approval" in page and "Omid Karimi" in page and "16-inch" in page

    def test_items_of_hidden_services_cannot_be_ordered(self, emma, world):
        hidden = ItemFactory(service=ServiceFactory(status=ServiceStatus.RETIRED))
        assert emma.get(f"/portal/order/{hidden.pk}/").status_code == 404


class TestMyRecords:
    def test_lists_my_requests_and_incidents_only(self, emma, client, world):
        mine = order(world)
        world.stranger.manager = world.boss
        world.stranger.save()
        theirs = services.request_create(
            actor=world.stranger, item=world.item, answers=LAPTOP_ANSWERS
        )

        page = html(emma.get("/portal/mine/", {"show": "all"}))

        assert mine.number in page and theirs.number not in page
        assert emma.get(f"/portal/requests/{theirs.number}/").status_code == 404

    def test_internal_notes_never_reach_the_requester(self, emma, world):
        record = order(world)
        services.request_comment(
            request_id=record.pk, actor=world.agent, body="Budget code 4711 internal",
            visibility=Visibility.INTERNAL,
        )  # fmt: skip
        services.request_comment(request_id=record.pk, actor=world.agent, body="On its way")

        page = html(emma.get(f"/portal/requests/{record.number}/"))

        # The note's words, not its number: ids on the page (a colleague's in the watchers
        # card) can be 4711 on a database that has run many tests.
        assert "On its way" in page and "Budget code" not in page

    def test_the_requester_replies_and_cancels(self, emma, world):
        record = order(world)
        emma.post(f"/portal/requests/{record.number}/", {"body": "Any news?"})
        assert Comment.objects.get().visibility == Visibility.PUBLIC
        emma.post(f"/portal/requests/{record.number}/cancel/", {"reason": "Found one"})
        record.refresh_from_db()
        assert record.status == RequestStatus.CANCELLED


class TestApprovals:
    def test_the_manager_sees_and_approves_in_the_portal(self, client, world):
        record = order(world)
        client.force_login(world.boss)

        page = html(client.get("/portal/approvals/"))
        assert record.number in page and "14-inch" in page

        approval = record.approvals.get()
        client.post(f"/portal/approvals/{approval.pk}/", {"decision": "approve"})
        record.refresh_from_db()
        assert record.status == RequestStatus.IN_FULFILMENT
        assert "Nothing waits for your approval." in html(client.get("/portal/approvals/"))

    def test_a_rejection_without_a_reason_is_refused(self, client, world):
        record = order(world)
        client.force_login(world.boss)
        response = client.post(
            f"/portal/approvals/{record.approvals.get().pk}/", {"decision": "reject"}, follow=True
        )
        assert "Say why you reject it" in html(response)
        record.refresh_from_db()
        assert record.status == RequestStatus.AWAITING_APPROVAL

    def test_nobody_else_can_decide(self, emma, world):
        record = order(world)
        response = emma.post(
            f"/portal/approvals/{record.approvals.get().pk}/", {"decision": "approve"}
        )
        assert response.status_code == 404
        record.refresh_from_db()
        assert record.status == RequestStatus.AWAITING_APPROVAL

    def test_the_approver_may_open_the_request_only_through_approvals(self, client, world):
        record = order(world)
        client.force_login(world.boss)
        assert client.get(f"/portal/requests/{record.number}/").status_code == 404


class TestSignedLink:
    def test_the_email_carries_a_link_that_approves_once_as_the_approver(self, client, world):
        record = order(world)
        deliver_pending()
        to_boss = [m for m in mail.outbox if world.boss.email in m.to]
        assert len(to_boss) == 1 and "Your approval is needed" in to_boss[0].subject
        link = next(line for line in to_boss[0].body.splitlines() if "/portal/approve/" in line)
        path = link[link.index("/portal/approve/") :].strip()

        shown = client.get(path)  # no sign-in; a GET decides nothing
        assert shown.status_code == 200 and "Approve" in html(shown)
        assert record.approvals.get().decision == Decision.PENDING
        client.post(path, {"decision": "approve", "comment": "OK"})
        approval = record.approvals.get()
        assert approval.decision == Decision.APPROVED and approval.via_link
        assert approval.comment == "OK"

        again = client.post(path, {"decision": "reject", "comment": "Changed my mind"})
        assert again.status_code == 409
        assert record.approvals.get().decision == Decision.APPROVED

    def test_a_tampered_or_expired_link_is_refused(self, client, world):
        record = order(world)
        token = approval_token(record.approvals.get())
        assert client.post(f"/portal/approve/{token}x/", {"decision": "approve"}).status_code == 404
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            assert (
                client.post(f"/portal/approve/{token}/", {"decision": "approve"}).status_code == 410
            )
        assert record.approvals.get().decision == Decision.PENDING


class TestRating:
    def test_the_requester_rates_a_closed_request(self, emma, world):
        world.item.approval_rule = "none"
        world.item.save()
        record = order(world)
        for task in record.tasks.order_by("order"):
            services.task_transition(task_id=task.pk, actor=world.tech, target=TaskStatus.DONE)

        page = html(emma.get(f"/portal/requests/{record.number}/"))
        assert "Rate the service" in page
        emma.post(f"/portal/rate/{record.number}/", {"score": "4", "comment": "Fast"})

        rating = SatisfactionRating.objects.get()
        assert (rating.score, rating.comment, rating.rated_by) == (4, "Fast", world.requester)

    def test_an_open_request_cannot_be_rated(self, emma, world):
        record = order(world)
        emma.post(f"/portal/rate/{record.number}/", {"score": "5"})
        assert not SatisfactionRating.objects.exists()


def test_the_outbox_has_one_approval_email_per_approver(world):
    order(world)
    assert Notification.objects.filter(kind="approval_requested").count() == 1


def test_ordering_without_a_manager_on_record_says_so_and_saves_nothing(emma, world):
    world.requester.manager = None
    world.requester.save()
    response = emma.post(
        f"/portal/order/{world.item.pk}/", {"model": "14-inch", "needed_by": "2030-02-01"}
    )
    assert response.status_code == 200
    assert "no manager is recorded for you" in html(response)
    assert not world.item.requests.exists()
