"""CMDB pages and API: who may read and write, filters, the impact endpoints, error shapes."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from cmdb.models import ConfigurationItem, Relationship
from tests.cmdb.factories import ci_class, make_ci, relate

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user(Role.CONFIGURATION_MANAGER)


@pytest.fixture
def estate():
    san = make_ci("SAN-01", "storage", criticality=4)
    host = make_ci("ESX-01")
    app = make_ci("APP-ERP", "application")
    erp = make_ci("BS ERP", "business_service", criticality=4)
    relate(host, san)
    relate(app, host, "runs_on")
    relate(erp, app)
    return {"san": san, "host": host, "app": app, "erp": erp}


def test_end_users_see_no_cmdb(client, end_user, estate):
    client.force_login(end_user)
    assert client.get(reverse("cmdb:ci_list")).status_code == 403
    assert client.get(f"/api/v1/cmdb/cis/{estate['san'].pk}/impact/").status_code == 403


def test_agents_read_but_cannot_edit(client, agent, estate):
    client.force_login(agent)
    page = client.get(reverse("cmdb:ci_detail", args=[estate["host"].pk]))
    assert page.status_code == 200
    assert "Add a relationship" not in page.content.decode()
    assert client.get(reverse("cmdb:ci_create")).status_code == 403
    assert client.post(reverse("cmdb:relationship_add", args=[estate["host"].pk]),
                       {"type": "depends_on", "direction": "out", "other": "APP-ERP"}).status_code == 403  # fmt: skip
    response = client.post("/api/v1/cmdb/cis/", {"name": "X", "ci_class": "server"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert (
        client.get("/api/v1/cmdb/cis/?class_code=storage").json()["results"][0]["name"] == "SAN-01"
    )


def test_a_manager_creates_a_ci_with_attributes_through_the_page(client, manager):
    client.force_login(manager)
    server = ci_class("server")
    form = client.get(reverse("cmdb:ci_create"), {"ci_class": server.pk}).content.decode()
    assert 'name="attr_cpu_cores"' in form
    data = {"name": "SRV-9", "ci_class": server.pk, "status": "live", "criticality": 3,
            "environment": "production", "attr_cpu_cores": "lots", "attr_warranty_end": ""}  # fmt: skip
    refused = client.post(reverse("cmdb:ci_create"), data)
    assert refused.status_code == 200 and "Enter a number." in refused.content.decode()
    assert not ConfigurationItem.objects.filter(name="SRV-9").exists()
    data["attr_cpu_cores"] = "24"
    created = client.post(reverse("cmdb:ci_create"), data)
    ci = ConfigurationItem.objects.get(name="SRV-9")
    assert created.url == reverse("cmdb:ci_detail", args=[ci.pk])
    assert ci.attributes == {"cpu_cores": 24} and ci.criticality == 3


def test_the_impact_json_and_page_show_the_downstream_business_service(client, agent, estate):
    client.force_login(agent)
    data = client.get(reverse("cmdb:ci_impact_json", args=[estate["san"].pk]), {"depth": 5}).json()
    assert data["total"] == 3
    assert [s["name"] for s in data["business_services"]] == ["BS ERP"]
    assert {(e["source"], e["target"]) for e in data["edges"]} == {
        (estate["host"].pk, estate["san"].pk), (estate["app"].pk, estate["host"].pk),
        (estate["erp"].pk, estate["app"].pk),
    }  # fmt: skip
    shallow = client.get(reverse("cmdb:ci_impact_json", args=[estate["san"].pk]), {"depth": 1})
    assert shallow.json()["business_services"] == []
    page = client.get(reverse("cmdb:ci_impact", args=[estate["san"].pk]), {"depth": 5})
    assert page.context["impact"].services[0].ci == estate["erp"]
    upstream = client.get(f"/api/v1/cmdb/cis/{estate['erp'].pk}/impact/",
                          {"direction": "upstream", "depth": 2}).json()  # fmt: skip
    assert {n["name"] for n in upstream["nodes"]} == {"BS ERP", "APP-ERP", "ESX-01"}
    bad = client.get(f"/api/v1/cmdb/cis/{estate['erp'].pk}/impact/", {"depth": 99})
    assert bad.status_code == 400 and "depth" in bad.json()["errors"]


def test_the_api_creates_and_relates_cis_with_field_errors(client, manager, estate):
    client.force_login(manager)
    bad = client.post("/api/v1/cmdb/cis/", {"name": "DB-9", "ci_class": "database",
                      "attributes": {"engine": "dBase"}}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "attr_engine" in bad.json()["errors"]
    created = client.post("/api/v1/cmdb/cis/", {"name": "DB-9", "ci_class": "database",
                          "attributes": {"engine": "Oracle"}}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.json()
    db = created.json()["id"]
    rel = client.post("/api/v1/cmdb/relationships/", {"source": estate["app"].pk,
                      "type": "depends_on", "target": db}, content_type="application/json")  # fmt: skip
    assert rel.status_code == 201
    again = client.post("/api/v1/cmdb/relationships/", {"source": estate["app"].pk,
                        "type": "depends_on", "target": db}, content_type="application/json")  # fmt: skip
    assert again.status_code == 400 and "target" in again.json()["errors"]
    listed = client.get("/api/v1/cmdb/relationships/", {"ci": db}).json()["results"]
    assert [r["source"]["name"] for r in listed] == ["APP-ERP"]
    stale = client.patch(f"/api/v1/cmdb/cis/{db}/", {"criticality": 4, "version": 7},
                         content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    assert client.delete(f"/api/v1/cmdb/relationships/{rel.json()['id']}/").status_code == 204
    assert not Relationship.objects.filter(target_id=db).exists()


def test_the_ci_page_lists_the_incidents_on_it(client, agent, estate):
    from tests.incidents.factories import SupportGroupFactory, incident

    group = SupportGroupFactory(members=[agent])
    record = incident(actor=agent, configuration_item=estate["host"], support_group=group)
    client.force_login(agent)
    page = client.get(reverse("cmdb:ci_detail", args=[estate["host"].pk]))
    assert [r.number for r in page.context["records"]] == [record.number]


def test_import_page_dry_run_shows_row_errors(client, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(manager)
    upload = SimpleUploadedFile("cis.csv", b"name,class\nX-1,gadget\n", content_type="text/csv")
    response = client.post(
        reverse("cmdb:ci_import"), {"kind": "cis", "file": upload, "dry_run": "on"}
    )
    assert response.status_code == 400
    assert "Unknown class “gadget”" in response.content.decode()


def test_incident_proposal_accept_through_the_page(client, agent, estate):
    from tests.incidents.factories import SupportGroupFactory, incident

    group = SupportGroupFactory(members=[agent])
    record = incident(
        actor=agent, impact="low", configuration_item=estate["san"], support_group=group
    )
    client.force_login(agent)
    page = client.get(reverse("incidents:detail", args=[record.number])).content.decode()
    assert 'id="proposed-impact">High<' in page
    client.post(
        reverse("cmdb:incident_proposal_decide", args=[record.pk]), {"version": record.version}
    )
    record.refresh_from_db()
    assert record.impact == "high"


def test_the_impact_endpoint_costs_the_same_queries_whatever_the_graph_size(
    client, agent, estate, django_assert_max_num_queries
):
    client.force_login(agent)
    url = reverse("cmdb:ci_impact_json", args=[estate["san"].pk])
    client.get(url, {"depth": 5})  # warm the session, the content types and the graph's copy
    # A handful of queries for the walk and the page: never one per CI reached (nor per level:
    # the walk runs on the process's copy of the relationships).
    with django_assert_max_num_queries(12) as small:
        client.get(url, {"depth": 5})
    queries = len(small.captured_queries)  # read now: the next request resets the log
    cls = ci_class("virtual_machine")
    ConfigurationItem.objects.bulk_create(
        [ConfigurationItem(name=f"VM-{i}", ci_class=cls) for i in range(60)]
    )
    Relationship.objects.bulk_create(
        [Relationship(source=vm, target=estate["host"], type="runs_on")
         for vm in ConfigurationItem.objects.filter(name__startswith="VM-")]
    )  # fmt: skip
    # The change retires the copy: the next walk loads it again (two queries), then the same.
    assert client.get(url, {"depth": 5}).json()["total"] == 63
    with django_assert_max_num_queries(queries):
        data = client.get(url, {"depth": 5}).json()
    assert data["total"] == 63


def test_the_proposal_api_reads_and_overrides(client, agent, end_user, estate):
    from tests.incidents.factories import SupportGroupFactory, incident

    group = SupportGroupFactory(members=[agent])
    record = incident(
        actor=agent, impact="low", configuration_item=estate["app"], support_group=group
    )
    client.force_login(agent)
    url = f"/api/v1/cmdb/impact-proposals/{record.pk}/"
    data = client.get(url).json()
    assert (data["status"], data["service_count"], data["proposed_impact"]) == ("ready", 1, "high")
    bad = client.post(url + "decide/", {"impact": "enormous"}, content_type="application/json")
    assert bad.status_code == 400 and "impact" in bad.json()["errors"]
    done = client.post(url + "decide/", {"impact": "medium"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "overridden"
    record.refresh_from_db()
    assert record.impact == "medium"
    client.force_login(end_user)
    assert client.get(url).status_code == 404


def test_baselines_through_the_pages(client, manager, agent, estate):
    from cmdb import services
    from cmdb.models import Baseline

    client.force_login(agent)
    assert client.post(reverse("cmdb:baseline_list"), {"name": "B1"}).status_code == 403
    client.force_login(manager)
    response = client.post(reverse("cmdb:baseline_list"), {"name": "Before the move"})
    baseline = Baseline.objects.get(name="Before the move")
    assert response.url == reverse("cmdb:baseline_detail", args=[baseline.pk])
    assert baseline.items.count() == 4
    services.ci_update(ci_id=estate["host"].pk, actor=manager, changes={"criticality": 4})
    diff = client.get(response.url).context["diff"]
    assert [(row["name"], row["fields"]) for row in diff.changed] == [
        ("ESX-01", [("criticality", 2, 4)])
    ]
    assert diff.unchanged == 3


def test_the_ci_page_timeline_names_attributes_by_their_label(client, manager):
    from cmdb import services

    ci = make_ci("SRV-7", attributes={"cpu_cores": 8})
    services.ci_update(ci_id=ci.pk, actor=manager, changes={"attributes": {"cpu_cores": 16}})
    client.force_login(manager)
    page = client.get(reverse("cmdb:ci_detail", args=[ci.pk])).content.decode()
    assert "<em>CPU cores</em>: 8 → 16" in page


def test_the_ci_page_shows_the_first_relationships_and_counts_the_rest(client, agent, settings):
    from cmdb import selectors

    hub = make_ci("HUB-1")
    cls = ci_class("virtual_machine")
    ConfigurationItem.objects.bulk_create(
        [ConfigurationItem(name=f"VM-{i:03d}", ci_class=cls) for i in range(205)]
    )
    Relationship.objects.bulk_create(
        [Relationship(source=vm, target=hub, type="runs_on")
         for vm in ConfigurationItem.objects.filter(name__startswith="VM-")]
    )  # fmt: skip
    result = selectors.ci_relationships(ci=hub)
    assert len(result["incoming"]) == selectors.RELATIONSHIPS_SHOWN
    assert result["incoming_more"] == 5 and result["outgoing_more"] == 0


def test_the_ci_timeline_shows_choices_in_the_readers_language(client, manager):
    from cmdb import services

    ci = make_ci("SRV-8", criticality=2, status="live")
    services.ci_update(
        ci_id=ci.pk, actor=manager, changes={"status": "maintenance", "criticality": 4}
    )
    client.force_login(manager)
    client.post("/accounts/language/", {"language": "fa", "next": "/"})

    page = client.get(reverse("cmdb:ci_detail", args=[ci.pk])).content.decode()

    assert "عملیاتی ← نگهداری" in page  # live → maintenance, by their Persian labels
    assert "متوسط → بحرانی" in page  # criticality 2 → 4, "Medium" → "Critical"
    assert "Maintenance" not in page and ": 2 → 4" not in page


@pytest.fixture
def core_switch():
    """A core switch four hops below a business service: switch <- host <- VM <- app <- BS."""
    switch = make_ci("SW-CORE-01", "network_device", criticality=4)
    host = make_ci("ESX-09")
    vm = make_ci("VM-09", "virtual_machine")
    app = make_ci("APP-09", "application")
    service = make_ci("BS Payroll", "business_service", criticality=4)
    relate(host, switch)
    relate(vm, host, "runs_on")
    relate(app, vm, "runs_on")
    relate(service, app)
    return switch


def test_the_impact_page_and_the_incident_proposal_look_equally_deep(client, agent, core_switch):
    from tests.incidents.factories import SupportGroupFactory, incident

    record = incident(actor=agent, configuration_item=core_switch,
                      support_group=SupportGroupFactory(members=[agent]))  # fmt: skip
    client.force_login(agent)
    proposal = client.get(f"/api/v1/cmdb/impact-proposals/{record.pk}/").json()

    page = client.get(reverse("cmdb:ci_impact", args=[core_switch.pk]))
    api = client.get(f"/api/v1/cmdb/cis/{core_switch.pk}/impact/").json()

    assert proposal["service_count"] == 1
    assert [s.ci.name for s in page.context["impact"].services] == ["BS Payroll"]
    assert page.context["depth"] == 6
    assert '<option value="6" selected>' in page.content.decode()
    assert [s["name"] for s in api["business_services"]] == ["BS Payroll"]
    assert api["depth"] == 6


def test_one_setting_sets_the_depth_of_the_page_the_api_and_the_proposal(
    client, agent, core_switch, settings
):
    from tests.incidents.factories import SupportGroupFactory, incident

    settings.CMDB_IMPACT_DEPTH = 3
    record = incident(actor=agent, configuration_item=core_switch,
                      support_group=SupportGroupFactory(members=[agent]))  # fmt: skip
    client.force_login(agent)

    assert client.get(f"/api/v1/cmdb/impact-proposals/{record.pk}/").json()["service_count"] == 0
    page = client.get(reverse("cmdb:ci_impact", args=[core_switch.pk]))
    assert page.context["depth"] == 3 and page.context["impact"].services == []
    assert client.get(f"/api/v1/cmdb/cis/{core_switch.pk}/impact/").json()["depth"] == 3
    deeper = client.get(reverse("cmdb:ci_impact", args=[core_switch.pk]), {"depth": 4})
    assert [s.ci.name for s in deeper.context["impact"].services] == ["BS Payroll"]


def test_a_lifecycle_move_the_workflow_refuses_is_409_in_the_api_and_a_message_on_the_page(
    client, manager
):
    from cmdb import services

    ci = make_ci("SRV-OLD", status="live")
    services.ci_update(ci_id=ci.pk, actor=manager, changes={"status": "retired"})
    client.force_login(manager)

    refused = client.patch(f"/api/v1/cmdb/cis/{ci.pk}/", {"status": "live"},
                           content_type="application/json")  # fmt: skip

    assert refused.status_code == 409
    assert refused.json()["detail"] == "A retired configuration item cannot become live."
    data = {"name": "SRV-OLD", "ci_class": ci.ci_class_id, "status": "live", "criticality": 2,
            "environment": ci.environment, "version": 2}  # fmt: skip
    page = client.post(reverse("cmdb:ci_edit", args=[ci.pk]), data)
    assert page.status_code == 200
    assert page.context["form"].errors["status"] == [
        "A retired configuration item cannot become live."
    ]
    ci.refresh_from_db()
    assert (ci.status, ci.version) == ("retired", 2)
    unknown = client.patch(f"/api/v1/cmdb/cis/{ci.pk}/", {"status": "sleeping"},
                           content_type="application/json")  # fmt: skip
    assert unknown.status_code == 400 and "status" in unknown.json()["errors"]


def test_the_ci_timeline_shows_every_kind_of_change_by_whom(client, manager):
    """The CI's events are written by the kernel's events module: same rows, same page."""
    from cmdb import services
    from servicedesk.actors import system_actor
    from servicedesk.models import AuditEvent

    ci = make_ci("SRV-8", attributes={"cpu_cores": 8})
    other = make_ci("SRV-9")
    services.ci_update(
        ci_id=ci.pk, actor=manager,
        changes={"criticality": 4, "status": "maintenance", "attributes": {"cpu_cores": 16}},
    )  # fmt: skip
    link = services.relationship_add(actor=manager, source=ci, target=other, type="runs_on")
    services.relationship_remove(actor=manager, relationship_id=link.pk)

    rows = [
        (e.kind, e.field, e.old_text, e.new_text, e.public, e.actor)
        for e in AuditEvent.objects.filter(
            content_type__model="configurationitem", object_id=ci.pk
        ).order_by("pk")
    ]
    assert rows[0] == ("created", "", "", "SRV-8", False, system_actor())
    assert ("field_changed", "criticality", "Medium", "Critical", False, manager) in rows
    assert ("status_changed", "status", "Live", "Maintenance", False, manager) in rows
    assert ("field_changed", "attributes.cpu_cores", "8", "16", False, manager) in rows
    assert rows[-2:] == [
        ("field_changed", "relationships", "", "runs on SRV-9", False, manager),
        ("field_changed", "relationships", "runs on SRV-9", "", False, manager),
    ]
    client.force_login(manager)
    page = client.get(reverse("cmdb:ci_detail", args=[ci.pk])).content.decode()
    for text in ("Created", "Lifecycle status Live → Maintenance", "<em>CPU cores</em>: 8 → 16",
                 "Relationship added: runs on SRV-9", "Relationship removed: runs on SRV-9",
                 "Service Desk automation", manager.full_name):  # fmt: skip
        assert text in page
