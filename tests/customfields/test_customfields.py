"""Custom fields on records: definitions, validation, values on the incident pages, the record
page's card for any record type, the queue's columns and filter, the API and the exports."""

import csv
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customfields import selectors, services
from customfields.models import CustomField, FieldValue
from incidents.models import Incident
from servicedesk.models import AuditEvent
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    EndUserFactory,
    SupportGroupFactory,
    incident,
)

API = "/api/v1/incidents/"


@pytest.fixture
def desk(db):
    agent = AgentFactory(email="arash@example.com", full_name="Arash Agent")
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    network = CategoryFactory(name="Network")
    printing = CategoryFactory(name="Printing")
    asset = CustomField.objects.create(
        record_type="incident", name="asset_tag", label="Asset tag", field_type="text",
        max_length=20, order=1, labels={"fa": "برچسب دارایی"},
    )  # fmt: skip
    users = CustomField.objects.create(
        record_type="incident", name="users_affected", label="Users affected",
        field_type="number", required=True, min_value=1, max_value=10000, order=2,
    )  # fmt: skip
    site = CustomField.objects.create(
        record_type="incident", name="site", label="Site", field_type="choice",
        choices="Tehran\nLondon\nShanghai", order=3,
    )  # fmt: skip
    port = CustomField.objects.create(
        record_type="incident", name="switch_port", label="Switch port", field_type="text",
        category=network.pk, order=4,
    )  # fmt: skip
    return type("Desk", (), locals())


def log(desk, **fields):
    fields.setdefault("support_group", desk.group)
    return incident(actor=desk.agent, **fields)


def save(desk, record, **values):
    return services.values_update(record=record, actor=desk.agent, data=values)


# --- definitions and validation -----------------------------------------------------------------


def test_a_record_has_the_fields_for_every_record_and_those_of_its_category(desk):
    other = log(desk, category=desk.printing)
    network = log(desk, category=desk.network)
    assert [f.name for f in selectors.fields_of_record(other)] == [
        "asset_tag", "users_affected", "site",
    ]  # fmt: skip
    assert "switch_port" in [f.name for f in selectors.fields_of_record(network)]


def test_a_definition_must_name_a_real_type_and_category_and_list_its_choices(desk):
    bad = CustomField(record_type="nothing", name="x", label="X", field_type="text")
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "record_type" in error.value.message_dict
    bad = CustomField(record_type="incident", name="y", label="Y", field_type="choice")
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "choices" in error.value.message_dict
    bad = CustomField(record_type="incident", name="z", label="Z", field_type="text", category=0)
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "category" in error.value.message_dict


def test_values_are_stored_typed_and_each_change_is_an_agent_only_audit_event(desk):
    record = log(desk)
    changed = save(desk, record, users_affected="250", site="London", asset_tag="LT-0042")
    assert sorted(changed) == ["asset_tag", "site", "users_affected"]
    row = FieldValue.objects.get(field=desk.users, object_id=record.pk)
    assert row.value_number == Decimal("250")
    assert selectors.as_data(record) == {
        "asset_tag": "LT-0042", "users_affected": "250", "site": "London",
    }  # fmt: skip
    event = AuditEvent.objects.get(object_id=record.pk, field="Site")
    assert (event.new_text, event.public, event.actor) == ("London", False, desk.agent)
    # The same value again changes nothing and writes nothing.
    before = AuditEvent.objects.count()
    assert save(desk, record, site="London") == []
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"users_affected": "many"}, "users_affected", "Enter a number."),
        ({"users_affected": "0"}, "users_affected", "greater than or equal to 1"),
        ({"site": "Paris", "users_affected": "3"}, "site", "Select a valid choice."),
        ({"asset_tag": "x" * 21, "users_affected": "3"}, "asset_tag", "at most 20"),
        ({"asset_tag": "LT-1"}, "users_affected", "This field is required."),
        ({"colour": "red", "users_affected": "3"}, "colour", "no custom field"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_is_saved(desk, values, field, message):
    record = log(desk)
    with pytest.raises(ValidationError) as error:
        save(desk, record, **values)
    errors = error.value.message_dict
    assert message in " ".join(errors[f"custom_fields.{field}"])
    assert not FieldValue.objects.filter(object_id=record.pk).exists()


def test_end_users_may_not_write_custom_fields(desk):
    record = log(desk)
    with pytest.raises(Exception, match="staff"):
        services.values_update(record=record, actor=EndUserFactory(), data={"site": "London"})


# --- the pages ----------------------------------------------------------------------------------


def _create_post(desk, **extra):
    data = {
        "requester": desk.agent.email, "title": "Switch down", "description": "<p>Down</p>",
        "impact": "medium", "urgency": "medium", "support_group": desk.group.pk,
        "channel": "email", "category": desk.network.pk,
    }  # fmt: skip
    data.update(extra)
    return data


def test_the_create_form_saves_the_values_or_shows_what_is_wrong(client, desk):
    client.force_login(desk.agent)
    page = client.get("/incidents/new/")
    assert b'name="cf-users_affected"' in page.content
    assert b'data-custom-category="%d"' % desk.network.pk in page.content

    refused = client.post("/incidents/new/", _create_post(desk, **{"cf-users_affected": "lots"}))
    assert refused.status_code == 200
    assert "Enter a number." in refused.content.decode()
    assert not Incident.objects.filter(title="Switch down").exists()

    done = client.post(
        "/incidents/new/",
        _create_post(desk, **{"cf-users_affected": "12", "cf-switch_port": "Gi1/0/24"}),
    )
    assert done.status_code == 302
    created = Incident.objects.get(title="Switch down")
    assert selectors.as_data(created)["switch_port"] == "Gi1/0/24"
    detail = client.get(done["Location"]).content.decode()
    assert 'id="custom-fields"' in detail and "Gi1/0/24" in detail


def test_the_edit_form_changes_the_values(client, desk):
    record = log(desk)
    save(desk, record, users_affected="3")
    client.force_login(desk.agent)
    record.refresh_from_db()
    response = client.post(
        f"/incidents/{record.number}/edit/",
        {"version": record.version, "title": record.title, "impact": "medium",
         "urgency": "medium", "cf-users_affected": "40", "cf-site": "Tehran"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert selectors.as_data(record)["site"] == "Tehran"


def test_the_record_page_card_saves_for_any_record_type_and_refuses_bad_input(client, desk):
    record = log(desk)
    client.force_login(desk.agent)
    bad = client.post(f"/custom-fields/{record.number}/", {"cf-users_affected": "x"}, follow=True)
    assert "Users affected: Enter a number." in bad.content.decode()
    assert not FieldValue.objects.filter(object_id=record.pk).exists()
    client.post(f"/custom-fields/{record.number}/", {"cf-users_affected": "7", "cf-site": ""})
    assert selectors.as_data(record)["users_affected"] == "7"
    client.force_login(EndUserFactory())
    assert client.post(
        f"/custom-fields/{record.number}/", {"cf-users_affected": "9"}
    ).status_code in (403, 404)
    assert selectors.as_data(record)["users_affected"] == "7"


def test_the_persian_page_shows_the_persian_label(client, desk):
    record = log(desk)
    save(desk, record, users_affected="3", asset_tag="LT-9")
    desk.agent.language = "fa"
    desk.agent.save()
    client.force_login(desk.agent)
    page = client.get(f"/incidents/{record.number}/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "برچسب دارایی" in page


# --- the queue ----------------------------------------------------------------------------------


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own, for counting queries: the shared one may be emptied by
    another test run at any moment."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"customfields-{uuid.uuid4()}",
        }
    }


def test_the_queue_filters_on_a_value_and_shows_chosen_columns_without_a_query_per_row(
    client, desk, private_cache
):
    london = [log(desk, title=f"London {n}") for n in range(3)]
    tehran = log(desk, title="Tehran one")
    for record in london:
        save(desk, record, users_affected="5", site="London")
    save(desk, tehran, users_affected="50", site="Tehran")
    client.force_login(desk.agent)
    page = client.get(
        "/incidents/", {"queue": "all", "custom_field": "site", "custom_value": "London",
                        "columns": ["users_affected"]},
    ).content.decode()  # fmt: skip
    assert "London 0" in page and "Tehran one" not in page
    assert 'data-label="Users affected">5<' in page

    def queries(count):
        for n in range(count):
            save(desk, log(desk, title=f"More {n}"), users_affected=str(n + 1))
        with CaptureQueriesContext(connection) as captured:
            client.get("/incidents/", {"queue": "all", "columns": ["users_affected", "site"]})
        return len(captured.captured_queries)

    few = queries(1)
    many = queries(10)
    assert few == many

    numbers = client.get(
        "/incidents/", {"queue": "all", "custom_field": "users_affected", "custom_value": "lots"}
    ).content.decode()
    assert "London 0" not in numbers  # text is never a number: nothing matches


# --- the API ------------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_creates_with_values_and_refuses_bad_ones_with_a_400_naming_the_field(desk):
    client = api(desk.agent)
    body = {"title": "Printer jam", "impact": "medium", "urgency": "medium",
            "support_group": desk.group.pk}  # fmt: skip
    missing = client.post(API, body, format="json")
    assert missing.status_code == 400
    assert "custom_fields.users_affected" in missing.json()["errors"]
    wrong = client.post(API, {**body, "custom_fields": {"users_affected": "x"}}, format="json")
    assert wrong.status_code == 400
    assert "custom_fields.users_affected" in wrong.json()["errors"]
    assert not Incident.objects.filter(title="Printer jam").exists()

    made = client.post(
        API, {**body, "custom_fields": {"users_affected": 4, "site": "Shanghai"}}, format="json"
    )
    assert made.status_code == 201, made.json()
    assert made.json()["custom_fields"]["site"] == "Shanghai"
    number = made.json()["number"]

    changed = client.patch(
        f"{API}{number}/",
        {"version": made.json()["version"], "custom_fields": {"site": "Mars"}},
        format="json",
    )
    assert changed.status_code == 400 and "custom_fields.site" in changed.json()["errors"]
    changed = client.patch(
        f"{API}{number}/",
        {"version": made.json()["version"], "custom_fields": {"site": "Tehran"}},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["custom_fields"]["site"] == "Tehran"

    listed = client.get(API, {"custom_field": "site", "custom_value": "Tehran"}).json()
    assert [row["number"] for row in listed["results"]] == [number]
    assert listed["results"][0]["custom_fields"]["users_affected"] == "4"


def test_the_api_list_reads_a_pages_values_in_one_query(desk, private_cache):
    client = api(desk.agent)

    def count(n):
        for i in range(n):
            save(desk, log(desk, title=f"Row {i}"), users_affected=str(i + 1))
        with CaptureQueriesContext(connection) as captured:
            client.get(API, {"page_size": 200})
        return len(captured.captured_queries)

    count(1)  # the caches (permissions, priority names) are warm after this
    assert count(2) == count(12)


# --- the exports --------------------------------------------------------------------------------


def test_the_csv_export_has_a_column_per_custom_field(client, desk):
    record = log(desk, title="Exported")
    save(desk, record, users_affected="12", site="London")
    client.force_login(desk.agent)
    response = client.get("/imports/export/incident/", {"custom_field": "site",
                                                         "custom_value": "London"})  # fmt: skip
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    first = header.index("Asset tag")  # after the type's own columns; other apps' may follow
    assert header[first : first + 4] == ["Asset tag", "Users affected", "Site", "Switch port"]
    assert rows[1][header.index("Users affected")] == "12"
    assert rows[1][header.index("Site")] == "London"
    assert len(rows) == 2


def test_another_record_type_gets_the_card_and_its_own_fields(client, desk):
    from tests.problems.factories import problem

    CustomField.objects.create(
        record_type="problem", name="vendor_case", label="Vendor case", field_type="text"
    )
    record = problem(actor=desk.agent)
    assert [f.name for f in selectors.fields_of_record(record)] == ["vendor_case"]
    client.force_login(desk.agent)
    page = client.get(f"/problems/{record.number}/").content.decode()
    assert 'id="custom-fields"' in page and "Vendor case" in page
    client.post(f"/custom-fields/{record.number}/", {"cf-vendor_case": "CASE-77"})
    assert selectors.as_data(record) == {"vendor_case": "CASE-77"}
    assert AuditEvent.objects.filter(object_id=record.pk, new_text="CASE-77").exists()


def test_the_json_export_of_a_record_holds_its_custom_values(client, desk):
    record = log(desk)
    save(desk, record, users_affected="8")
    client.force_login(desk.agent)
    document = client.get(f"/imports/records/{record.number}.json").json()
    assert document["fields"]["Users affected"] == "8"
    assert document["fields"]["Site"] is None


def test_the_generic_api_reads_and_writes_any_record_types_values(desk):
    from tests.problems.factories import problem

    CustomField.objects.create(
        record_type="problem", name="vendor_case", label="Vendor case", field_type="text",
        max_length=10,
    )  # fmt: skip
    record = problem(actor=desk.agent)
    client = api(desk.agent)
    listed = client.get("/api/v1/custom-fields/", {"record_type": "problem"}).json()
    assert [f["name"] for f in listed] == ["vendor_case"]
    assert client.get("/api/v1/custom-fields/", {"record_type": "nope"}).status_code == 400
    url = f"/api/v1/custom-fields/{record.number}/"
    assert client.get(url).json()["values"] == {"vendor_case": None}
    bad = client.patch(url, {"values": {"vendor_case": "X" * 11}}, format="json")
    assert bad.status_code == 400 and "custom_fields.vendor_case" in bad.json()["errors"]
    good = client.patch(url, {"values": {"vendor_case": "CASE-1"}}, format="json")
    assert good.status_code == 200 and good.json()["values"] == {"vendor_case": "CASE-1"}
    # Somebody who may not see the record gets a 404, as for a missing one.
    assert api(EndUserFactory()).get(url).status_code == 404
    assert api(desk.agent).get("/api/v1/custom-fields/PRB9999999/").status_code == 404


def test_the_admin_form_checks_the_category_belongs_to_the_record_type(desk):
    from customfields.admin import CustomFieldForm

    data = {"record_type": "change", "category_choice": f"incident:{desk.network.pk}",
            "name": "x", "label": "X", "labels": "{}", "field_type": "text", "order": 1,
            "is_active": "on"}  # fmt: skip
    form = CustomFieldForm(data)
    assert not form.is_valid() and "category_choice" in form.errors
    form = CustomFieldForm({**data, "record_type": "incident"})
    assert form.is_valid(), form.errors
    assert form.save().category == desk.network.pk


def test_the_problem_forms_carry_the_fields_and_save_them_with_the_problem(client, desk):
    from problems.models import Problem

    CustomField.objects.create(
        record_type="problem", name="vendor_case", label="Vendor case", field_type="text",
        max_length=10, required=True,
    )  # fmt: skip
    client.force_login(desk.agent)
    assert b'name="cf-vendor_case"' in client.get("/problems/new/").content
    post = {"title": "VPN drops", "description": "", "impact": "medium", "urgency": "high",
            "support_group": desk.group.pk}  # fmt: skip
    refused = client.post("/problems/new/", {**post, "cf-vendor_case": "X" * 11})
    assert "at most 10" in refused.content.decode()
    assert not Problem.objects.exists()
    done = client.post("/problems/new/", {**post, "cf-vendor_case": "CASE-9"})
    assert done.status_code == 302
    record = Problem.objects.get()
    assert selectors.as_data(record) == {"vendor_case": "CASE-9"}
    record.refresh_from_db()
    changed = client.post(
        f"/problems/{record.number}/edit/",
        {**post, "version": record.version, "cf-vendor_case": "CASE-10"},
    )
    assert changed.status_code == 302
    assert selectors.as_data(record) == {"vendor_case": "CASE-10"}


def test_the_change_form_carries_the_fields_and_refuses_a_bad_one(db):
    from changes.models import Change
    from tests.changes.factories import PLANS, people

    _manager, owner, _cab = people()
    CustomField.objects.create(
        record_type="change", name="downtime_minutes", label="Downtime (minutes)",
        field_type="number", max_value=600,
    )  # fmt: skip
    from django.test import Client

    client = Client()
    client.force_login(owner)
    post = {"title": "Upgrade the database server", "change_type": "normal", **PLANS}
    refused = client.post("/changes/new/", {**post, "cf-downtime_minutes": "900"})
    assert refused.status_code == 400
    assert "less than or equal to 600" in refused.content.decode()
    assert not Change.objects.exists()
    done = client.post("/changes/new/", {**post, "cf-downtime_minutes": "45"})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert selectors.as_data(Change.objects.get()) == {"downtime_minutes": "45"}


def test_a_change_of_values_is_a_new_version_of_the_record(desk):
    record = log(desk)
    before = Incident.objects.get(pk=record.pk).version
    save(desk, record, users_affected="2")
    assert Incident.objects.get(pk=record.pk).version == before + 1
    save(desk, record, users_affected="2")  # nothing changed: no new version
    assert Incident.objects.get(pk=record.pk).version == before + 1
    stale = api(desk.agent).patch(
        f"{API}{record.number}/", {"version": before, "custom_fields": {"site": "Tehran"}},
        format="json",
    )  # fmt: skip
    assert stale.status_code == 409
    assert selectors.as_data(record)["site"] is None


def test_a_closed_record_keeps_its_values(client, desk):
    from tests.incidents.factories import incident_in

    record = incident_in("closed", agent=desk.agent, support_group=desk.group)
    client.force_login(desk.agent)
    answer = client.post(
        f"/custom-fields/{record.number}/", {"cf-users_affected": "5"}, follow=True
    )
    assert not FieldValue.objects.filter(object_id=record.pk).exists()
    assert "message-error" in answer.content.decode()
