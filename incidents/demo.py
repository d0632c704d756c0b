"""Reference data and sample incidents for `load_demo`. Idempotent: runs again without changes.

`load` is the reference data; `load_samples` the walk-through incidents, after the history
(`servicedesk.management.demo.history`) so numbers follow the order in which incidents were logged.
"""

from accounts.models import SupportGroup, User
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents import services
from incidents.choices import Channel, IncidentStatus, ResolutionCode
from incidents.models import Category, Incident, RoutingRule

CATEGORIES = {
    "Hardware": ["Laptop", "Desktop", "Printer", "Phone"],
    "Software": ["Office suite", "ERP", "Installation", "Licence"],
    "Network": ["Wi-Fi", "VPN", "LAN", "Internet access"],
    "E-mail": ["Mailbox", "Delivery", "Spam"],
    "Access": ["Password reset", "New account", "Permissions"],
}

# service: (group, configuration items)
SERVICES = {
    "E-mail": ("Applications", ["MAIL-01 Exchange server", "MAIL-02 Mail gateway"]),
    "ERP": ("Applications", ["ERP-APP-01", "ERP-DB-01"]),
    "Remote access (VPN)": ("Network", ["VPN-GW-01"]),
    "Internet": ("Network", ["FW-EDGE-01", "RTR-CORE-01"]),
    "Data centre basic service": ("Servers", ["ESX-HOST-01", "SAN-01"]),
    "Client service": ("Service Desk", []),
}

ROUTING = [
    (10, "Network faults to Network", "Network", "Network"),
    (20, "E-mail to Applications", "E-mail", "Applications"),
    (30, "Software to Applications", "Software", "Applications"),
]

# title, requester, impact, urgency, category, subcategory, service, channel, state, assignee
INCIDENTS = [
    ("Cannot connect to VPN from home", "enduser@example.com", "medium", "high", "Network",
     "VPN", "Remote access (VPN)", Channel.PORTAL, "new", None),
    ("Outlook keeps asking for my password", "enduser@example.com", "low", "medium", "E-mail",
     "Mailbox", "E-mail", Channel.EMAIL, "in_progress", "apps@example.com"),
    ("ERP invoices screen very slow for the whole finance team", "approver@example.com", "high",
     "high", "Software", "ERP", "ERP", Channel.PHONE, "in_progress", "apps@example.com"),
    ("Printer on floor 3 jams", "sara@example.com", "low", "low", "Hardware", "Printer", None,
     Channel.PORTAL, "resolved", "agent@example.com"),
    ("Wi-Fi drops in meeting room B", "sara@example.com", "medium", "medium", "Network",
     "Wi-Fi", "Internet", Channel.PORTAL, "pending", "network@example.com"),
    ("New starter needs an ERP account", "approver@example.com", "low", "medium", "Access",
     "New account", None, Channel.PHONE, "assigned", "liwei@example.com"),
    ("Laptop will not boot after the update", "sara@example.com", "low", "high", "Hardware",
     "Laptop", "Client service", Channel.PHONE, "in_progress", "agent@example.com"),
    ("Mapped drive S: missing since this morning", "enduser@example.com", "medium", "medium",
     "Hardware", "Desktop", "Client service", Channel.EMAIL, "new", None),
]  # fmt: skip

MAJOR = {"ERP invoices screen very slow for the whole finance team"}


def load(stdout=None) -> None:
    groups = {group.name: group for group in SupportGroup.objects.all()}
    categories = {}
    for name, children in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(name=name, parent=None)
        categories[name] = parent
        for child in children:
            categories[name, child], _ = Category.objects.get_or_create(name=child, parent=parent)
    service_rows = {}
    for name, (group_name, ci_names) in SERVICES.items():
        service, _ = Service.objects.update_or_create(
            name=name, defaults={"support_group": groups[group_name]}
        )
        service_rows[name] = service
        for ci_name in ci_names:
            # The CMDB demo owns these items' details: only create what it has not yet.
            ConfigurationItem.objects.get_or_create(
                name=ci_name, defaults={"service": service, "support_group": groups[group_name]}
            )
    for order, name, category, group_name in ROUTING:
        RoutingRule.objects.update_or_create(
            name=name,
            defaults={"order": order, "category": categories[category],
                      "support_group": groups[group_name]},
        )  # fmt: skip
    RoutingRule.objects.update_or_create(
        name="Everything else to the Service Desk",
        defaults={"order": 1000, "support_group": groups["Service Desk"]},
    )
    _customer_policy()


def _customer_policy() -> None:
    """Contoso Health's clinical systems are supported around the clock: a customer SLA that
    wins over the per-priority policies for its incidents."""
    from accounts.models import Organisation
    from servicedesk.actors import system_actor
    from sla import services as sla
    from sla.models import Calendar, Metric

    contoso = Organisation.objects.filter(code="contoso").first()
    calendar = Calendar.objects.filter(always_open=True).order_by("pk").first()
    if contoso is None or calendar is None:
        return
    sla.policy_put(
        actor=system_actor(),
        name="Contoso Health around the clock",
        fields={"kind": "sla", "record_type": "incident", "organisation": contoso,
                "priority": None, "service": None, "precedence": 50,
                "pause_on": ["customer", "supplier"], "is_active": True},
        targets=[
            {"metric": metric, "minutes": minutes, "calendar": calendar}
            for metric, minutes in ((Metric.FIRST_RESPONSE, 60), (Metric.RESOLUTION, 12 * 60))
        ],
    )  # fmt: skip


def load_samples(stdout=None) -> None:
    """The eight incidents the guides walk through, once (recognised by their requesters)."""
    requesters = {row[1] for row in INCIDENTS}
    if Incident.objects.filter(requester__email__in=requesters).exists():
        return
    categories = {}
    for name, children in CATEGORIES.items():
        parent = Category.objects.get(name=name, parent=None)
        categories[name] = parent
        for child in children:
            categories[name, child] = Category.objects.get(name=child, parent=parent)
    service_rows = {service.name: service for service in Service.objects.filter(name__in=SERVICES)}
    _sample_incidents(categories, service_rows)


def _sample_incidents(categories, service_rows) -> None:
    people = {user.email: user for user in User.objects.all()}
    desk = people["agent@example.com"]
    for row in INCIDENTS:
        (title, requester, impact, urgency, category, sub, service, channel, state,
         assignee) = row  # fmt: skip
        incident = services.incident_create(
            actor=desk,
            title=title,
            description=f"<p>{title}. Reported by {people[requester]}.</p>",
            requester=people[requester],
            impact=impact,
            urgency=urgency,
            category=categories[category],
            subcategory=categories[category, sub],
            service=service_rows.get(service),
            channel=channel,
        )
        if title in MAJOR:
            services.incident_update(
                incident_id=incident.pk, actor=desk, changes={"major_incident": True}
            )
        if assignee:
            person = people[assignee]
            group = person.support_groups.first() or incident.support_group
            services.incident_assign(
                incident_id=incident.pk, actor=desk, support_group=group, assignee=person
            )
        if state in ("in_progress", "pending", "resolved"):
            services.incident_transition(
                incident_id=incident.pk, actor=people[assignee], target=IncidentStatus.IN_PROGRESS
            )
            services.incident_comment(
                incident_id=incident.pk,
                actor=people[assignee],
                body="<p>I am looking into this now.</p>",
            )
        if state == "pending":
            services.incident_transition(
                incident_id=incident.pk, actor=people[assignee], target=IncidentStatus.PENDING,
                pending_reason="customer",
            )  # fmt: skip
        if state == "resolved":
            services.incident_transition(
                incident_id=incident.pk,
                actor=people[assignee],
                target=IncidentStatus.RESOLVED,
                resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
                resolution_notes="<p>Cleared the jam and replaced the worn roller.</p>",
            )
