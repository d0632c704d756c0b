"""The administrators' import page: upload and check, the report and preview, then the run."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from incidents.models import Incident
from tests.factories import UserFactory
from tests.transfer.test_servicenow import export
from transfer.models import ImportJob

pytestmark = pytest.mark.django_db


def signed_in(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def test_an_administrator_checks_then_imports_a_file(client, django_capture_on_commit_callbacks):
    signed_in(client, Role.ADMINISTRATOR)
    upload = SimpleUploadedFile("export.csv", export(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):  # the task runs after the commit
        answer = client.post("/imports/", {
            "file": upload, "format": "servicenow", "mode": "all", "batch_size": 1000,
            "create_missing": "on", "sla_mode": "keep", "time_zone": "UTC",
        })  # fmt: skip
    job = ImportJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/imports/{job.pk}/"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "will be created" in page and "incident_state" in page and "→ Status" in page
    assert Incident.objects.count() == 0
    progress = client.get(f"/imports/{job.pk}/?format=json").json()
    assert progress["status"] == "checked" and progress["records_total"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        run = client.post(f"/imports/{job.pk}/run/")
    assert run.status_code == 302
    assert Incident.objects.count() == 2


def test_agents_may_not_import(client):
    signed_in(client, Role.AGENT)
    assert client.get("/imports/").status_code == 403
