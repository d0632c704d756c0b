"""CMDB demonstration data for `load_demo`: the standard classes, and a small realistic graph
from business services down to applications, databases, virtual machines, servers, network and
storage, with one cycle (two clustered hosts). Idempotent: runs again without changes."""

from django.db import transaction

from accounts.models import SupportGroup, User
from cmdb import services
from cmdb.defaults import seed_classes
from cmdb.models import AttributeDefinition, Baseline, CIClass, ConfigurationItem, Relationship
from servicedesk import registry
from servicedesk.actors import system_actor

# name: (class, criticality, owner group, catalogue service, attributes)
ITEMS = {
    "DC-BERLIN Berlin data centre": ("location", 3, "Servers", None, {"address": "Am Hafen 4, Berlin"}),
    "BS E-mail": ("business_service", 3, "Applications", "E-mail", {"users": 850, "service_hours": "24x7"}),
    "BS ERP": ("business_service", 4, "Applications", "ERP", {"users": 240, "service_hours": "business hours"}),
    "BS Intranet": ("business_service", 2, "Applications", None, {"users": 900, "service_hours": "business hours"}),
    "BS Remote access": ("business_service", 3, "Network", "Remote access (VPN)", {"users": 400, "service_hours": "24x7"}),
    "BS Internet access": ("business_service", 3, "Network", "Internet", {"users": 950, "service_hours": "24x7"}),
    "MAIL-01 Exchange server": ("application", 3, "Applications", None, {"vendor": "Microsoft", "version": "2019 CU14"}),
    "ERP-APP-01": ("application", 4, "Applications", None, {"vendor": "Odoo", "version": "17.0"}),
    "APP-INTRANET": ("application", 2, "Applications", None, {"vendor": "WordPress", "version": "6.6"}),
    "ERP-DB-01": ("database", 4, "Servers", None, {"engine": "PostgreSQL", "size_gb": 420}),
    "DB-INTRANET": ("database", 2, "Servers", None, {"engine": "MySQL", "size_gb": 12}),
    "VM-MAIL-01": ("virtual_machine", 3, "Servers", None, {"os": "Windows Server 2022", "vcpus": 8, "memory_gb": 32}),
    "VM-ERP-APP-01": ("virtual_machine", 4, "Servers", None, {"os": "Ubuntu 24.04", "vcpus": 8, "memory_gb": 32}),
    "VM-ERP-DB-01": ("virtual_machine", 4, "Servers", None, {"os": "Ubuntu 24.04", "vcpus": 16, "memory_gb": 128}),
    "VM-WEB-01": ("virtual_machine", 2, "Servers", None, {"os": "Debian 12", "vcpus": 2, "memory_gb": 8}),
    "ESX-HOST-01": ("server", 4, "Servers", None, {"serial_number": "CZ2391XK7", "cpu_cores": 64, "memory_gb": 1024, "warranty_end": "2028-03-31"}),
    "ESX-HOST-02": ("server", 4, "Servers", None, {"serial_number": "CZ2391XK9", "cpu_cores": 64, "memory_gb": 1024, "warranty_end": "2028-03-31"}),
    "SAN-01": ("storage", 4, "Servers", None, {"capacity_tb": 120}),
    "SW-CORE-01": ("network_device", 4, "Network", None, {"device_type": "switch", "ip_address": "10.0.0.2"}),
    "RTR-CORE-01": ("network_device", 4, "Network", None, {"device_type": "router", "ip_address": "10.0.0.1"}),
    "FW-EDGE-01": ("network_device", 4, "Network", None, {"device_type": "firewall", "ip_address": "10.0.0.254"}),
    "VPN-GW-01": ("network_device", 3, "Network", None, {"device_type": "gateway", "ip_address": "10.0.1.10"}),
    "MAIL-02 Mail gateway": ("network_device", 3, "Network", None, {"device_type": "gateway", "ip_address": "10.0.1.25"}),
}  # fmt: skip

# (source, type, target): the source needs the target.
RELATIONSHIPS = [
    ("BS E-mail", "depends_on", "MAIL-01 Exchange server"),
    ("MAIL-01 Exchange server", "runs_on", "VM-MAIL-01"),
    ("MAIL-01 Exchange server", "depends_on", "MAIL-02 Mail gateway"),
    ("BS ERP", "depends_on", "ERP-APP-01"),
    ("ERP-APP-01", "depends_on", "ERP-DB-01"),
    ("ERP-APP-01", "runs_on", "VM-ERP-APP-01"),
    ("ERP-DB-01", "runs_on", "VM-ERP-DB-01"),
    ("BS Intranet", "depends_on", "APP-INTRANET"),
    ("APP-INTRANET", "runs_on", "VM-WEB-01"),
    ("APP-INTRANET", "depends_on", "DB-INTRANET"),
    ("DB-INTRANET", "runs_on", "VM-ERP-DB-01"),
    ("VM-MAIL-01", "runs_on", "ESX-HOST-01"),
    ("VM-ERP-APP-01", "runs_on", "ESX-HOST-01"),
    ("VM-ERP-DB-01", "runs_on", "ESX-HOST-02"),
    ("VM-WEB-01", "runs_on", "ESX-HOST-02"),
    ("ESX-HOST-01", "part_of", "ESX-HOST-02"),  # one cluster: each needs the other (a cycle)
    ("ESX-HOST-02", "part_of", "ESX-HOST-01"),
    ("ESX-HOST-01", "depends_on", "SAN-01"),
    ("ESX-HOST-02", "depends_on", "SAN-01"),
    ("ESX-HOST-01", "connected_to", "SW-CORE-01"),
    ("ESX-HOST-02", "connected_to", "SW-CORE-01"),
    ("SAN-01", "connected_to", "SW-CORE-01"),
    ("SW-CORE-01", "connected_to", "RTR-CORE-01"),
    ("RTR-CORE-01", "connected_to", "FW-EDGE-01"),
    ("MAIL-02 Mail gateway", "connected_to", "FW-EDGE-01"),
    ("BS Remote access", "depends_on", "VPN-GW-01"),
    ("VPN-GW-01", "connected_to", "FW-EDGE-01"),
    ("BS Internet access", "depends_on", "FW-EDGE-01"),
]

# The demo's major incident gets a CI, so its page shows a proposed impact.
INCIDENT_CI = ("ERP invoices screen very slow for the whole finance team", "ERP-DB-01")


@transaction.atomic
def load(stdout=None) -> None:
    classes = seed_classes(CIClass, AttributeDefinition)
    groups = {g.name: g for g in SupportGroup.objects.all()}
    catalogue = {s.name: s for s in registry.shared_model("service").objects.all()}
    location = None
    items = {}
    for name, (code, criticality, group, service, attributes) in ITEMS.items():
        fields = {
            "ci_class": classes[code],
            "criticality": criticality,
            "owner_group": groups.get(group),
            "support_group": groups.get(group),
            "attributes": attributes,
            "location": location if code != "location" else None,
        }
        if service:
            fields["service"] = catalogue.get(service)
        existing = ConfigurationItem.objects.filter(name=name).first()
        if existing is None:
            items[name] = services.ci_create(actor=system_actor(), name=name, **fields)
        else:
            items[name] = services.ci_update(
                ci_id=existing.pk, actor=system_actor(), changes=fields
            )
        if code == "location":
            location = items[name]
    for source, kind, target in RELATIONSHIPS:
        if not Relationship.objects.filter(
            source=items[source], target=items[target], type=kind
        ).exists():
            services.relationship_add(
                actor=system_actor(), source=items[source], target=items[target], type=kind
            )
    if not Baseline.objects.exists():
        services.baseline_create(
            actor=system_actor(),
            name="Demo go-live",
            description="The estate as the demo loaded it.",
        )


def link_sample_incident() -> None:
    """The major sample incident names its CI (after `incidents.demo.load_samples`)."""
    items = {ci.name: ci for ci in ConfigurationItem.objects.filter(name=INCIDENT_CI[1])}
    if INCIDENT_CI[1] in items:
        _incident_ci(items)


def _incident_ci(items) -> None:
    incidents = registry.get("incident")
    Incident = incidents.model_class  # noqa: N806

    title, ci_name = INCIDENT_CI
    incident = Incident.objects.filter(title=title, configuration_item__isnull=True).first()
    agent = User.objects.filter(email="agent@example.com").first()
    if incident is None or agent is None or not incident.is_open:
        return
    incidents.call("update")(
        record_id=incident.pk, actor=agent, changes={"configuration_item": items[ci_name]}
    )
