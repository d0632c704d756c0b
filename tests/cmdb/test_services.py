"""CI writes: typed attribute validation, lifecycle, audit timeline, relationships, baselines,
and the impact proposal on incidents."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from cmdb import services
from cmdb.models import AttributeDefinition, Baseline, ConfigurationItem, ImpactProposal
from cmdb.selectors import baseline_diff
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditEvent
from tests.cmdb.factories import ci_class, make_ci, relate

pytestmark = pytest.mark.django_db


def events_of(ci):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ConfigurationItem), object_id=ci.pk
    ).order_by("pk")


@pytest.fixture
def manager(make_user):
    return make_user(Role.CONFIGURATION_MANAGER)


def test_a_ci_is_created_with_typed_attributes_cleaned(manager):
    ci = services.ci_create(
        actor=manager, name="SRV-01", ci_class=ci_class("server"),
        attributes={"cpu_cores": "32", "memory_gb": "12.5", "warranty_end": "2027-01-31",
                    "serial_number": "  X1 "},
    )  # fmt: skip
    assert ci.attributes == {
        "cpu_cores": 32, "memory_gb": 12.5, "warranty_end": "2027-01-31", "serial_number": "X1"
    }  # fmt: skip
    assert [e.kind for e in events_of(ci)] == ["created"]


@pytest.mark.parametrize(("attributes", "field", "message"), [
    ({"cpu_cores": "many"}, "attr_cpu_cores", "Enter a number."),
    ({"warranty_end": "31/01/2027"}, "attr_warranty_end", "Enter a date as YYYY-MM-DD."),
    ({"colour": "red"}, "attr_colour", "Server has no attribute “colour”."),
])  # fmt: skip
def test_bad_attribute_values_are_refused_and_nothing_is_saved(manager, attributes, field, message):
    with pytest.raises(ValidationError) as error:
        services.ci_create(actor=manager, name="SRV-X", ci_class=ci_class("server"),
                           attributes=attributes)  # fmt: skip
    assert error.value.message_dict[field] == [message]
    assert not ConfigurationItem.objects.filter(name="SRV-X").exists()


def test_required_choice_and_reference_attributes(manager):
    database = ci_class("database")
    with pytest.raises(ValidationError) as error:
        services.ci_create(actor=manager, name="DB-1", ci_class=database, attributes={})
    assert error.value.message_dict["attr_engine"] == ["Engine is required."]
    with pytest.raises(ValidationError) as error:
        services.ci_create(actor=manager, name="DB-1", ci_class=database,
                           attributes={"engine": "Sybase"})  # fmt: skip
    assert "Choose one of" in error.value.message_dict["attr_engine"][0]

    AttributeDefinition.objects.create(
        ci_class=database, code="host", label="Host", type="reference",
        reference_class=ci_class("virtual_machine"),
    )  # fmt: skip
    vm = make_ci("VM-1", "virtual_machine")
    server = make_ci("SRV-1")
    with pytest.raises(ValidationError) as error:
        services.ci_create(actor=manager, name="DB-1", ci_class=database,
                           attributes={"engine": "Oracle", "host": "SRV-1"})  # fmt: skip
    assert error.value.message_dict["attr_host"] == ["SRV-1 is not a Virtual machine."]
    with pytest.raises(ValidationError) as error:
        services.ci_create(actor=manager, name="DB-1", ci_class=database,
                           attributes={"engine": "Oracle", "host": "VM-404"})  # fmt: skip
    assert error.value.message_dict["attr_host"] == ["No configuration item “VM-404”."]
    ci = services.ci_create(actor=manager, name="DB-1", ci_class=database,
                            attributes={"engine": "Oracle", "host": "VM-1"})  # fmt: skip
    assert ci.attributes == {"engine": "Oracle", "host": vm.pk}
    assert server.pk != vm.pk


def test_agents_may_not_change_the_cmdb(agent):
    with pytest.raises(PermissionDenied):
        services.ci_create(actor=agent, name="SRV-9", ci_class=ci_class("server"))
    ci = make_ci("SRV-9")
    with pytest.raises(PermissionDenied):
        services.ci_update(ci_id=ci.pk, actor=agent, changes={"criticality": 4})
    with pytest.raises(PermissionDenied):
        relate_as(agent, ci, make_ci("SRV-10"))


def relate_as(actor, source, target):
    return services.relationship_add(actor=actor, source=source, target=target, type="runs_on")


def test_every_change_is_in_the_timeline_and_bumps_the_version(manager):
    location = make_ci("DC-1", "location")
    ci = make_ci("SRV-1", attributes={"cpu_cores": 8})
    services.ci_update(
        ci_id=ci.pk, actor=manager, version=1,
        changes={"criticality": 4, "location": location, "status": "maintenance",
                 "attributes": {"cpu_cores": 16}},
    )  # fmt: skip
    ci.refresh_from_db()
    assert ci.version == 2 and ci.attributes == {"cpu_cores": 16}
    rows = [(e.kind, e.field, e.old_text, e.new_text) for e in events_of(ci)][1:]
    assert ("field_changed", "criticality", "Medium", "Critical") in rows
    assert ("field_changed", "location", "", "DC-1") in rows
    assert ("status_changed", "status", "Live", "Maintenance") in rows
    assert ("field_changed", "attributes.cpu_cores", "8", "16") in rows
    with pytest.raises(StaleVersion):
        services.ci_update(ci_id=ci.pk, actor=manager, version=1, changes={"criticality": 1})
    unchanged = services.ci_update(ci_id=ci.pk, actor=manager, changes={"criticality": 4})
    assert unchanged.version == 2


def test_lifecycle_moves_follow_the_rules(manager):
    ci = make_ci("SRV-1")
    services.ci_update(ci_id=ci.pk, actor=manager, changes={"status": "retired"})
    ci.refresh_from_db()
    assert ci.status == "retired" and not ci.is_active
    with pytest.raises(TransitionNotAllowed) as error:
        services.ci_update(ci_id=ci.pk, actor=manager, changes={"status": "live"})
    assert str(error.value.message) == "A retired configuration item cannot become live."
    ci.refresh_from_db()
    assert (ci.status, ci.version) == ("retired", 2)
    services.ci_update(ci_id=ci.pk, actor=manager, changes={"status": "planned"})
    ci.refresh_from_db()
    assert ci.status == "planned" and ci.is_active


def test_an_unknown_lifecycle_status_is_a_field_error(manager):
    ci = make_ci("SRV-1")
    with pytest.raises(ValidationError) as error:
        services.ci_update(ci_id=ci.pk, actor=manager, changes={"status": "sleeping"})
    assert "status" in error.value.message_dict


def test_a_location_must_be_a_location_ci(manager):
    server = make_ci("SRV-1")
    with pytest.raises(ValidationError) as error:
        make_ci("SRV-2", location=server)
    assert error.value.message_dict["location"] == ["SRV-1 is not a location."]


def test_relationships_refuse_self_and_duplicates_and_are_audited_on_both_ends(manager):
    app, vm = make_ci("APP", "application"), make_ci("VM", "virtual_machine")
    services.relationship_add(actor=manager, source=app, target=vm, type="runs_on")
    with pytest.raises(ValidationError):
        services.relationship_add(actor=manager, source=app, target=vm, type="runs_on")
    with pytest.raises(ValidationError):
        services.relationship_add(actor=manager, source=app, target=app, type="depends_on")
    assert events_of(app).last().new_text == "runs on VM"
    assert events_of(vm).last().new_text == "hosts APP"
    # A cycle is allowed.
    services.relationship_add(actor=manager, source=vm, target=app, type="depends_on")
    relationship = app.outgoing.get()
    services.relationship_remove(actor=manager, relationship_id=relationship.pk)
    assert events_of(vm).last().old_text == "hosts APP"


def test_a_baseline_diff_shows_changed_added_and_gone(manager):
    a = make_ci("SRV-A", attributes={"cpu_cores": 8})
    b = make_ci("SRV-B")
    make_ci("APP-Z", "application")  # another class: outside the baseline
    baseline = services.baseline_create(actor=manager, name="Q4", ci_class=ci_class("server"))
    assert baseline.items.count() == 2
    services.ci_update(ci_id=a.pk, actor=manager, changes={"attributes": {"cpu_cores": 16}})
    relate(a, b)
    services.ci_update(ci_id=b.pk, actor=manager, changes={"status": "retired"})
    make_ci("SRV-C")

    diff = baseline_diff(baseline=Baseline.objects.get(pk=baseline.pk))

    changed = {row["name"]: row["fields"] for row in diff.changed}
    assert changed["SRV-A"] == [
        ("attributes.cpu_cores", 8, 16), ("relationships", [], ["depends_on SRV-B"])
    ]  # fmt: skip
    assert changed["SRV-B"] == [("status", "live", "retired")]
    assert [row["name"] for row in diff.added] == ["SRV-C"]
    assert diff.removed == [] and diff.unchanged == 0
    with pytest.raises(ValidationError):
        services.baseline_create(actor=manager, name="Q4")


@pytest.mark.parametrize(("count", "criticality", "expected"), [
    (0, None, "low"), (1, 1, "low"), (1, 2, "low"), (1, 3, "medium"), (2, 1, "medium"),
    (1, 4, "high"), (3, 1, "high"),
])  # fmt: skip
def test_the_proposed_impact_rule(count, criticality, expected):
    assert services.proposed_impact(count=count, max_criticality=criticality) == expected


@pytest.fixture
def estate():
    db = make_ci("DB-1", "database", attributes={"engine": "Oracle"})
    app = make_ci("APP-1", "application")
    relate(app, db)
    relate(make_ci("BS ERP", "business_service", criticality=4), app)
    relate(make_ci("BS Reports", "business_service", criticality=2), app)
    return {"db": db, "app": app}


def test_setting_the_ci_on_an_incident_proposes_an_impact_the_agent_accepts(estate):
    from tests.incidents.factories import AgentFactory, incident

    agent = AgentFactory()
    record = incident(actor=agent, impact="low")
    from incidents import services as incident_services

    incident_services.incident_update(
        incident_id=record.pk, actor=agent, changes={"configuration_item": estate["db"]}
    )
    proposal = ImpactProposal.objects.get(incident=record)
    assert (proposal.status, proposal.service_count, proposal.max_criticality) == ("ready", 2, 4)
    assert proposal.proposed_impact == "high"
    assert [s["name"] for s in proposal.services] == ["BS ERP", "BS Reports"]

    services.impact_proposal_decide(incident_id=record.pk, actor=agent)
    record.refresh_from_db()
    proposal.refresh_from_db()
    assert record.impact == "high" and proposal.status == "accepted"
    assert proposal.decided_by == agent


def test_the_agent_may_override_and_a_new_ci_replaces_the_proposal(estate):
    from incidents import services as incident_services
    from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent])
    record = incident(
        actor=agent, impact="low", configuration_item=estate["db"], support_group=group
    )
    assert ImpactProposal.objects.get(incident=record).proposed_impact == "high"
    services.impact_proposal_decide(incident_id=record.pk, actor=agent, impact="medium")
    record.refresh_from_db()
    assert record.impact == "medium"
    assert ImpactProposal.objects.get(incident=record).status == "overridden"

    lonely = make_ci("PRN-1")
    incident_services.incident_update(
        incident_id=record.pk, actor=agent, changes={"configuration_item": lonely}
    )
    proposal = ImpactProposal.objects.get(incident=record)
    assert (proposal.status, proposal.service_count, proposal.proposed_impact) == (
        "ready",
        0,
        "low",
    )
    incident_services.incident_update(
        incident_id=record.pk, actor=agent, changes={"configuration_item": None}
    )
    assert not ImpactProposal.objects.filter(incident=record).exists()


def test_on_a_large_graph_a_worker_computes_the_proposal(
    estate, settings, django_capture_on_commit_callbacks
):
    from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

    settings.CMDB_INLINE_IMPACT_MAX_RELATIONSHIPS = 0
    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = incident(actor=agent, configuration_item=estate["db"], support_group=group)
    proposal = ImpactProposal.objects.get(incident=record)
    assert proposal.status == "pending"
    with pytest.raises(ValidationError):
        services.impact_proposal_decide(incident_id=record.pk, actor=agent)
    for callback in callbacks:
        callback()  # the task runs eagerly in tests
    proposal.refresh_from_db()
    assert proposal.status == "ready" and proposal.proposed_impact == "high"


def test_with_the_broker_down_the_incident_is_saved_and_the_page_computes_the_proposal_later(
    estate, settings, client, monkeypatch
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from cmdb.tasks import compute_impact_proposal_task
    from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    settings.CMDB_INLINE_IMPACT_MAX_RELATIONSHIPS = 0
    monkeypatch.setattr(compute_impact_proposal_task, "delay", broker_down)
    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent])
    record = incident(actor=agent, configuration_item=estate["db"], support_group=group)
    assert ImpactProposal.objects.get(incident=record).status == "pending"

    client.force_login(agent)
    url = f"/cmdb/incidents/{record.pk}/impact/"
    assert client.get(url).context["proposal"].status == "pending"  # a worker may still come
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert client.get(url).context["proposal"].status == "ready"
    assert ImpactProposal.objects.get(incident=record).proposed_impact == "high"
