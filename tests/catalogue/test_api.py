"""The catalogue API: the catalogue and item form schemas, ordering with validation in the
house error shape, visibility of requests and internal notes, tasks for staff with keyset
pages, and approvals."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalogue import services
from catalogue.models import RequestStatus, ServiceStatus, TaskStatus
from servicedesk.models import Attachment, Visibility
from tests.catalogue.factories import LAPTOP_ANSWERS, ServiceFactory, laptop_setup


@pytest.fixture
def world(db):
    return laptop_setup()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def order(world, actor=None):
    return services.request_create(
        actor=actor or world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )


class TestCatalogue:
    def test_items_come_with_their_form_schema(self, world):
        ServiceFactory(name="Retired thing", status=ServiceStatus.RETIRED)
        api = client_for(world.requester)

        services_ = api.get("/api/v1/catalogue/services/").json()["results"]
        items = api.get("/api/v1/catalogue/items/").json()["results"]

        assert [s["name"] for s in services_] == ["Client service"]
        assert services_[0]["offerings"][0]["price_label"] == "1200 one-off"
        (laptop,) = items
        assert laptop["approval_rule"] == "manager"
        fields = {f["name"]: f for f in laptop["form"]}
        assert fields["model"]["choices"] == ["14-inch", "16-inch"]
        assert fields["needed_by"]["required"] is True
        assert fields["quantity"]["max"] == "3.00"

    def test_anonymous_callers_are_refused(self, world):
        assert APIClient().get("/api/v1/catalogue/items/").status_code in (401, 403)


class TestOrder:
    def test_bad_answers_come_back_per_field_and_nothing_is_saved(self, world):
        response = client_for(world.requester).post(
            "/api/v1/requests/",
            {"item": world.item.pk, "answers": {"model": "17-inch", "quantity": 0}},
            format="json",
        )

        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"detail", "errors"}
        assert {"answers.model", "answers.needed_by", "answers.quantity"} <= set(body["errors"])
        assert not world.item.requests.exists()

    def test_an_order_is_registered(self, world):
        response = client_for(world.requester).post(
            "/api/v1/requests/",
            {"item": world.item.pk, "answers": {"model": "14-inch", "needed_by": "2030-01-02"}},
            format="json",
        )

        assert response.status_code == 201
        body = response.json()
        assert body["status"] == RequestStatus.AWAITING_APPROVAL
        assert body["answers"]["needed_by"]["text"] == "2030-01-02"
        assert body["approvals"][0]["approver"]["name"] == "Omid Karimi"
        assert body["tasks"] == [] and body["sla_timers"] == []
        assert response["Location"] == f"/api/v1/requests/{body['number']}/"

    def test_unknown_fields_and_unknown_items_are_refused(self, world):
        api = client_for(world.requester)
        assert api.post("/api/v1/requests/", {"item": 999999}, format="json").status_code == 400
        response = api.post(
            "/api/v1/requests/", {"item": world.item.pk, "status": "closed"}, format="json"
        )
        assert response.status_code == 400 and "status" in response.json()["errors"]

    def test_end_users_cannot_order_for_someone_else(self, world):
        response = client_for(world.requester).post(
            "/api/v1/requests/",
            {"item": world.item.pk, "answers": LAPTOP_ANSWERS, "requester": world.stranger.pk},
            format="json",
        )
        assert response.status_code == 400


class TestVisibility:
    def test_end_users_see_only_their_own_requests(self, world):
        mine = order(world)
        world.stranger.manager = world.boss
        world.stranger.save()
        theirs = order(world, actor=world.stranger)
        api = client_for(world.requester)

        listed = [r["number"] for r in api.get("/api/v1/requests/").json()["results"]]

        assert listed == [mine.number]
        assert api.get(f"/api/v1/requests/{theirs.number}/").status_code == 404
        assert api.get(f"/api/v1/requests/{theirs.number}/timeline/").status_code == 404

    def test_internal_notes_stay_internal(self, world):
        record = order(world)
        services.request_comment(
            request_id=record.pk,
            actor=world.agent,
            body="secret margin",
            visibility=Visibility.INTERNAL,
        )
        services.request_comment(request_id=record.pk, actor=world.agent, body="Ordered it")

        as_requester = client_for(world.requester)
        comments = as_requester.get(f"/api/v1/requests/{record.number}/comments/").json()
        timeline = as_requester.get(f"/api/v1/requests/{record.number}/timeline/").content.decode()
        staff = client_for(world.agent).get(f"/api/v1/requests/{record.number}/comments/").json()

        assert [c["body"] for c in comments] == ["Ordered it"]
        assert "secret margin" not in timeline
        assert len(staff) == 2

    def test_files_in_comments_and_the_timeline_carry_their_download_url(
        self, world, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        record = order(world)
        for actor, visibility, name in [
            (world.requester, Visibility.PUBLIC, "serial.txt"),
            (world.agent, Visibility.INTERNAL, "margin.txt"),
        ]:
            services.request_comment(
                request_id=record.pk, actor=actor, body=name, visibility=visibility,
                files=[SimpleUploadedFile(name, b"some text", "text/plain")],
            )  # fmt: skip
        ids = dict(Attachment.objects.values_list("filename", "pk"))

        def files(person, endpoint):
            data = client_for(person).get(f"/api/v1/requests/{record.number}/{endpoint}/").json()
            comments = (
                [e["comment"] for e in data if e.get("comment")] if endpoint == "timeline" else data
            )
            return [f["download_url"] for c in comments for f in c["attachments"]]

        def link(name):
            return f"http://testserver/attachments/{ids[name]}/download/"

        assert files(world.requester, "timeline") == [link("serial.txt")]
        assert files(world.requester, "comments") == [link("serial.txt")]
        assert files(world.agent, "timeline") == [link("serial.txt"), link("margin.txt")]
        browser = APIClient()
        browser.force_login(world.requester)
        assert browser.get(link("serial.txt")).status_code == 200
        assert browser.get(link("margin.txt")).status_code == 404

    def test_end_users_see_no_tasks(self, world):
        world.item.approval_rule = "none"
        world.item.save()
        record = order(world)
        api = client_for(world.requester)
        assert api.get("/api/v1/tasks/").json()["results"] == []
        task = record.tasks.first()
        assert api.get(f"/api/v1/tasks/{task.number}/").status_code == 404
        assert api.post(f"/api/v1/tasks/{task.number}/done/").status_code == 404


class TestTasksAndApprovals:
    def test_approve_then_work_the_tasks_through_the_api(self, world):
        record = order(world)
        boss = client_for(world.boss)
        (waiting,) = boss.get("/api/v1/approvals/").json()["results"]
        assert waiting["request"]["number"] == record.number

        rejected = client_for(world.requester).post(f"/api/v1/approvals/{waiting['id']}/approve/")
        assert rejected.status_code == 404
        approved = boss.post(f"/api/v1/approvals/{waiting['id']}/approve/", {}, format="json")
        assert approved.status_code == 200 and approved.json()["decision"] == "approved"
        assert boss.post(f"/api/v1/approvals/{waiting['id']}/approve/").status_code == 409

        tech = client_for(world.tech)
        queue = tech.get("/api/v1/tasks/", {"queue": "groups"}).json()["results"]
        assert [t["title"] for t in queue] == ["Prepare the laptop"]
        number = queue[0]["number"]
        assert tech.post(f"/api/v1/tasks/{number}/take/").json()["assignee"]["name"] == "Sam Tech"
        assert tech.post(f"/api/v1/tasks/{number}/done/").json()["status"] == TaskStatus.DONE
        second = record.tasks.get(status=TaskStatus.OPEN)
        client_for(world.agent).post(f"/api/v1/tasks/{second.number}/done/")

        detail = client_for(world.requester).get(f"/api/v1/requests/{record.number}/").json()
        assert detail["status"] == RequestStatus.CLOSED
        rated = client_for(world.requester).post(
            f"/api/v1/requests/{record.number}/rate/", {"score": 5}, format="json"
        )
        assert rated.status_code == 201

    def test_rejecting_needs_a_reason(self, world):
        record = order(world)
        approval = record.approvals.get()
        response = client_for(world.boss).post(f"/api/v1/approvals/{approval.pk}/reject/")
        assert response.status_code == 400 and "comment" in response.json()["errors"]

    def test_the_task_queue_pages_by_keyset(self, world):
        world.item.approval_rule = "none"
        world.item.save()
        for _ in range(3):
            order(world)
        api = client_for(world.tech)
        first = api.get("/api/v1/tasks/", {"page_size": 2, "queue": "open"}).json()
        second = APIClient()
        second.force_authenticate(world.tech)
        rest = second.get(first["next"]).json()
        numbers = [t["number"] for t in first["results"] + rest["results"]]
        assert len(numbers) == 3 == len(set(numbers))
        assert rest["next"] is None


def test_an_order_with_a_file_is_sent_as_multipart(world):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalogue.models import FieldType
    from servicedesk.models import Attachment
    from tests.catalogue.factories import field

    field(world.item, "quote", FieldType.ATTACHMENT, label="Quote", required=True)
    answers = {"model": "14-inch", "needed_by": "2030-01-02"}
    api = client_for(world.requester)

    missing = api.post(
        "/api/v1/requests/", {"item": world.item.pk, "answers": json.dumps(answers)},
        format="multipart",
    )  # fmt: skip
    quote = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 offer", content_type="application/pdf")
    sent = api.post(
        "/api/v1/requests/",
        {"item": world.item.pk, "answers": json.dumps(answers), "quote": quote},
        format="multipart",
    )

    assert missing.status_code == 400 and "answers.quote" in missing.json()["errors"]
    assert sent.status_code == 201, sent.json()
    assert sent.json()["answers"]["quote"]["text"] == "quote.pdf"
    assert Attachment.objects.get().filename == "quote.pdf"
