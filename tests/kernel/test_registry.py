"""The record-type registry gives the answers the hard-coded paths gave, and a type registered
in a few lines (the kernel's test Ticket, tests/kernel/apps.py) is picked up by the SLA engine,
attachments' and the portal's visibility, and the dashboards' facts."""

from dataclasses import replace

import pytest
from django.db import transaction

from catalogue.emails import render_request_email, render_task_email
from catalogue.models import OPEN_REQUEST_STATUSES, FulfilmentTask, ServiceRequest
from incidents.choices import OPEN_STATUSES, IncidentStatus
from incidents.emails import render_incident_email
from incidents.models import Incident
from servicedesk import notifications, registry
from servicedesk.portal import requester_record
from servicedesk.services import record_create
from sla import services as sla
from sla.models import Calendar, SlaPolicy, SlaTarget, SlaTimer, TimerState
from tests.kernel.models import Ticket

pytestmark = pytest.mark.django_db


# --- The same answers as the hard-coded paths -----------------------------------------------------


def test_each_record_type_is_found_by_key_model_and_number():
    incident, request = registry.get("incident"), registry.get("request")
    assert registry.for_model(Incident) is incident
    assert registry.for_model("catalogue.ServiceRequest") is request
    assert registry.for_model(FulfilmentTask) is registry.get("task")
    assert (incident.prefix, request.prefix, registry.get("task").prefix) == ("INC", "REQ", "TSK")
    assert registry.for_number("REQ0000042") is request
    assert registry.for_number("INC0000042") is incident
    assert registry.for_number("TKT0000001") is registry.get("ticket")
    assert registry.for_number("XYZ0000001") is None
    assert registry.for_number("PRB0000001") is registry.get("problem")
    with pytest.raises(KeyError):
        registry.get("no-such-type")


def test_the_portal_pages_are_those_the_prefix_switch_chose():
    assert registry.for_number("REQ0000001").portal_url_name == "portal:request"
    assert registry.for_number("INC0000001").portal_url_name == "portal:incident"


def test_visibility_selectors_are_the_paths_the_models_named():
    assert Incident.VISIBLE_TO == "incidents.selectors.incidents_visible_to"
    assert ServiceRequest.VISIBLE_TO == "catalogue.selectors.requests_visible_to"
    assert FulfilmentTask.VISIBLE_TO == "catalogue.selectors.tasks_visible_to"
    assert Ticket.VISIBLE_TO == "tests.kernel.models.tickets_visible_to"


def test_open_and_paused_states_are_the_old_status_lists():
    incident, request = registry.get("incident"), registry.get("request")
    assert list(incident.open_statuses) == list(OPEN_STATUSES)
    assert incident.paused_statuses == (IncidentStatus.PENDING,)
    assert incident.done_statuses == ("resolved", "closed")
    assert list(request.open_statuses) == list(OPEN_REQUEST_STATUSES)
    assert request.paused_statuses == ("awaiting_approval",)
    assert request.done_statuses == ("closed",)


def test_the_states_and_their_meanings_are_the_model_s_workflow():
    for record_type in registry.all_types():
        workflow = record_type.model_class.WORKFLOW
        assert record_type.workflow is workflow
        assert list(record_type.open_statuses) == workflow.open_states, record_type.key


def test_sla_policy_record_types_are_the_old_list_first():
    keys = dict(registry.choices())
    assert (str(keys["incident"]), str(keys["request"])) == ("Incident", "Service request")
    assert list(keys)[:2] == ["incident", "request"]
    assert "task" not in keys  # tasks are not timed against the customer
    field = SlaPolicy._meta.get_field("record_type")
    assert [value for value, _label in field.choices][:2] == ["incident", "request"]


def test_e_mail_renderers_are_the_ones_the_apps_registered():
    assert notifications.RENDERERS["incidents.incident"] is render_incident_email
    assert notifications.RENDERERS["catalogue.servicerequest"] is render_request_email
    assert notifications.RENDERERS["catalogue.fulfilmenttask"] is render_task_email


def test_dashboards_sources_are_the_old_ones():
    from dashboards.facts import sources

    found = sources()
    incident, request = found["incident"], found["request"]
    assert (incident.model_label, incident.detail_url_name) == (
        "incidents.Incident",
        "incidents:detail",
    )
    assert incident.open_statuses == tuple(OPEN_STATUSES)
    assert incident.done_statuses == ("resolved", "closed")
    assert incident.changed == ("updated_at", "first_responded_at")
    assert str(incident.label) == "Incidents"
    assert (request.model_label, request.detail_url_name) == (
        "catalogue.ServiceRequest", "catalogue:request",
    )  # fmt: skip
    assert request.open_statuses == tuple(OPEN_REQUEST_STATUSES)
    assert request.done_statuses == ("closed",)
    assert request.optional == {"resolved_at": "closed_at"}
    assert list(found)[:2] == ["incident", "request"]
    assert "task" not in found


def test_a_lookup_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        found = [
            registry.for_number("INC0000001").call("assign"),
            registry.for_model(Incident).visible_to,
            registry.get("request").open_statuses,
        ]
    assert all(found)


# --- A newly registered type: the kernel's Ticket ---------------------------------------------


@pytest.fixture
def make_ticket(db, end_user):
    def make(**fields):
        fields.setdefault("title", "Badge reader at the side door")
        fields.setdefault("requester", end_user)
        with transaction.atomic():
            return record_create(model=Ticket, actor=fields["requester"], fields=fields)

    return make


@pytest.fixture
def ticket_policy(db):
    policy = SlaPolicy.objects.create(
        name="Tickets", kind="sla", record_type="ticket", precedence=10
    )
    calendar = Calendar.objects.get(always_open=True)
    SlaTarget.objects.create(policy=policy, metric="first_response", minutes=60, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric="resolution", minutes=480, calendar=calendar)
    return policy


def test_sla_starts_timers_for_a_new_type_when_its_policy_matches(make_ticket, ticket_policy):
    ticket = make_ticket(priority=2)
    assert "ticket" in dict(registry.choices())
    assert sla.policy_for(record_type="ticket", priority=2, service_id=None,
                          organisation_id=None) == ticket_policy  # fmt: skip
    sla.start_timers(ticket, record_type=registry.for_model(ticket).key)
    timers = SlaTimer.objects.filter(object_id=ticket.pk, content_type__model="ticket")
    assert sorted(timers.values_list("metric", "state")) == [
        ("first_response", TimerState.RUNNING), ("resolution", TimerState.RUNNING),
    ]  # fmt: skip
    assert {t.policy_id for t in timers} == {ticket_policy.pk}


def test_no_incident_policy_times_a_ticket(make_ticket):
    ticket = make_ticket(priority=2)
    assert sla.start_timers(ticket, record_type="ticket") == []
    assert not SlaTimer.objects.filter(object_id=ticket.pk, content_type__model="ticket").exists()


def test_the_new_type_s_visibility_is_its_own_selector(make_ticket, end_user, make_user, agent):
    ticket = make_ticket()
    other = make_user()
    ticket_type = registry.for_model(Ticket)
    assert list(ticket_type.visible(end_user)) == [ticket]
    assert list(ticket_type.visible(other)) == []
    assert list(ticket_type.visible(agent)) == [ticket]


@pytest.fixture
def ticket_not_in_portal():
    """The Ticket as a type the portal does not show (no `portal`), put back afterwards."""
    original = registry.get("ticket")
    registry.register(replace(original, portal=None))
    yield registry.get("ticket")
    registry.register(original)


def test_the_portal_finds_one_s_own_record_of_a_new_type(make_ticket, end_user, make_user):
    ticket = make_ticket()
    record_type, found = requester_record(user=end_user, number=ticket.number)
    assert (record_type.key, found) == ("ticket", ticket)
    assert record_type.portal_page == "portal:record"  # no page of its own: the generic one
    with pytest.raises(Ticket.DoesNotExist):
        requester_record(user=make_user(), number=ticket.number)


def test_the_portal_ignores_a_type_it_does_not_show(make_ticket, end_user, ticket_not_in_portal):
    from django.core.exceptions import ObjectDoesNotExist

    ticket = make_ticket()
    with pytest.raises(ObjectDoesNotExist):
        requester_record(user=end_user, number=ticket.number)


def test_dashboards_build_facts_for_the_new_type(make_ticket, ticket_policy):
    from dashboards.facts import build_facts, source

    open_one = make_ticket(priority=2)
    sla.start_timers(open_one, record_type="ticket")
    done = make_ticket(priority=3)
    Ticket.objects.filter(pk=done.pk).update(status="closed")
    src = source("ticket")
    assert src.model is Ticket
    assert src.open_statuses == ("new", "in_progress", "resolved")  # its workflow's open states
    facts = {f.number: f for f in build_facts(src, [open_one.pk, done.pk])}
    assert facts[open_one.number].is_open is True
    assert facts[open_one.number].priority == 2
    assert facts[done.number].is_open is False
    assert {f.record_type for f in facts.values()} == {"ticket"}


# Every record type's agent page renders the panels apps add to it (servicedesk/panels.py and
# the `record_page` slot of servicedesk/page_slots.py), so a tool built for every record type
# (the breach-risk card, say) shows on each of them, not on the incident page alone.
RECORD_PAGES = {
    "incidents/detail.html": "incident",
    "catalogue/request.html": "req",
    "catalogue/task.html": "task",
    "problems/detail.html": "problem",
    "changes/detail.html": "change",
}


@pytest.mark.parametrize(("template_name", "variable"), RECORD_PAGES.items())
def test_every_record_page_renders_the_panels_of_other_apps(template_name, variable):
    from django.template import engines

    source = engines["django"].get_template(template_name).template.source
    assert f"{{% record_panels {variable} %}}" in source
    assert f'{{% panels "record_page" record={variable} %}}' in source
