"""The seed's service catalogue, request items, knowledge articles and sample requests for
`load_demo`. Runs after `incidents.demo` (which creates the services incidents point at).
Idempotent: runs again without changes."""

from decimal import Decimal

from django.contrib.auth.models import Group

from accounts.models import Organisation, SupportGroup, User
from catalogue import services
from catalogue.models import (
    ApprovalRule,
    ChargingBasis,
    FieldType,
    FulfilmentMode,
    OfferingType,
    RequestField,
    RequestItem,
    Service,
    ServiceKind,
    ServiceOffering,
    ServiceRequest,
    ServiceStatus,
    TaskStatus,
    TaskTemplate,
)
from knowledge.models import Article
from servicedesk.actors import system_actor
from sla import services as sla_services
from sla.models import Calendar, Metric, SlaPolicy

# name: (type, status, group, owner, description, offering, price, charging basis, audience)
# Prices and charging bases are the seed's (ITIL.md, "Service catalogue").
SERVICES = {
    "Data centre basic service": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Servers", "servers@example.com",
        "Hosting, network account and backups in the data centre.",
        "Network account", "49", ChargingBasis.ACCOUNT_MONTH, (),
    ),
    "Remote access (VPN)": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Network", "network@example.com",
        "Work from home or on the road through the VPN.",
        "Remote account", "10", ChargingBasis.ACCOUNT_MONTH, (),
    ),
    "Client service": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Service Desk", "lead@example.com",
        "Your laptop or desktop, its software and its accessories.",
        "Client account", "20", ChargingBasis.ACCOUNT_MONTH, (),
    ),
    "On-site support": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Service Desk", "lead@example.com",
        "A technician comes to your desk.",
        "Visit", "100", ChargingBasis.VISIT, (),
    ),
    "E-mail": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Applications", "apps@example.com",
        "Mailboxes, shared mailboxes, calendars and distribution lists.",
        "Mailbox storage", "64", ChargingBasis.STORAGE_200MB, (),
    ),
    "Instant messaging": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Applications", "apps@example.com",
        "Chat and calls with colleagues.",
        "Messaging account", "20", ChargingBasis.ACCOUNT_MONTH, (),
    ),
    "OA (office automation)": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Applications", "apps@example.com",
        "Workflows, forms and document approval.",
        "OA user", "27", ChargingBasis.USER_MONTH, (),
    ),
    "ERP": (
        ServiceKind.BUSINESS, ServiceStatus.LIVE, "Applications", "apps@example.com",
        "Finance, purchasing and stock. For Northwind Trading.",
        "ERP user", "150", ChargingBasis.USER_MONTH, ("northwind",),
    ),
    "Internet": (
        ServiceKind.TECHNICAL, ServiceStatus.LIVE, "Network", "network@example.com",
        "Internet access behind every business service.",
        "", "0", ChargingBasis.FREE, (),
    ),
    "Video conferencing rooms": (
        ServiceKind.BUSINESS, ServiceStatus.PIPELINE, "Network", "network@example.com",
        "Coming next quarter.",
        "", "0", ChargingBasis.FREE, (),
    ),
}  # fmt: skip

# item: (service, approval, approver group, mode, description, fields, tasks)
# field: (key, label, type, required, extra); task: (title, group)
ITEMS = {
    "Laptop": (
        "Client service", ApprovalRule.MANAGER, None, FulfilmentMode.SEQUENTIAL,
        "A standard business laptop with the company's software. Needs your manager's approval.",
        [
            ("model", "Model", FieldType.CHOICE, True, {"choices": "14-inch standard\n16-inch performance"}),
            ("needed_by", "Needed by", FieldType.DATE, True, {}),
            ("reason", "Why do you need it", FieldType.TEXT, True, {"max_length": 200}),
            ("docking", "I also need a docking station", FieldType.CHECKBOX, False, {}),
        ],
        [("Prepare and image the laptop", "Service Desk"),
         ("Install the business applications", "Applications")],
    ),
    "VPN account": (
        "Remote access (VPN)", ApprovalRule.NONE, None, FulfilmentMode.SEQUENTIAL,
        "Access to the company network from outside.",
        [("reason", "What do you need it for", FieldType.TEXT, True, {"max_length": 200})],
        [("Create the VPN account", "Network")],
    ),
    "More mailbox storage": (
        "E-mail", ApprovalRule.SERVICE_OWNER, None, FulfilmentMode.SEQUENTIAL,
        "Charged per 200 MB per user.",
        [("blocks", "How many blocks of 200 MB", FieldType.NUMBER, True, {"min_value": 1, "max_value": 20})],
        [("Raise the mailbox quota", "Applications")],
    ),
    "ERP access": (
        "ERP", ApprovalRule.GROUP_ANY, "ERP approvers", FulfilmentMode.PARALLEL,
        "A role in the ERP, approved by the finance controllers.",
        [("role", "Role", FieldType.CHOICE, True, {"choices": "Accounts payable\nPurchasing\nStock"}),
         ("same_as", "Same access as (e-mail)", FieldType.USER, False, {})],
        [("Create the ERP user", "Applications"), ("Add the user to the finance share", "Servers")],
    ),
    "Technician visit": (
        "On-site support", ApprovalRule.NONE, None, FulfilmentMode.SEQUENTIAL,
        "Book a technician at your desk (100 per visit).",
        [("day", "Preferred day", FieldType.DATE, True, {}),
         ("photo", "A photo of the problem", FieldType.ATTACHMENT, False, {})],
        [("Visit the requester", "Service Desk")],
    ),
}  # fmt: skip

ARTICLES = [
    ("VPN does not connect from home", "Remote access (VPN)", "vpn remote tunnel home",
     "Check your internet connection first. Then quit the VPN client completely, start it again "
     "and sign in with your e-mail address. If it still fails, restart your computer."),
    ("Outlook keeps asking for my password", "E-mail", "mail password prompt outlook",
     "Your password may have changed. Open the Credential Manager, remove the saved Office "
     "entries, then start Outlook and sign in again."),
    ("Printer jams or shows paper jam", None, "printer paper jam tray",
     "Open tray 2 and the back cover, pull the paper out gently, close both and print again."),
    ("Reset your password yourself", None, "password reset locked account",
     "Go to the sign-in page, choose 'Forgotten your password?' and follow the e-mail."),
    ("Wi-Fi drops in meeting rooms", "Internet", "wifi wireless drops meeting",
     "Forget the network on your device and join 'Corp-Secure' again; the guest network "
     "disconnects after one hour."),
]  # fmt: skip


def load(stdout=None) -> None:
    groups = {group.name: group for group in SupportGroup.objects.all()}
    people = {user.email: user for user in User.objects.all()}
    policy = _request_policy()
    services_ = {}
    for name, row in SERVICES.items():
        kind, status, group, owner, description, offering, price, basis, audience = row
        service, _ = Service.objects.update_or_create(
            name=name,
            defaults={"kind": kind, "status": status, "support_group": groups[group],
                      "owner": people.get(owner), "description": description, "is_active": True},
        )  # fmt: skip
        service.audience_organisations.set(Organisation.objects.filter(code__in=audience))
        if offering:
            ServiceOffering.objects.update_or_create(
                service=service, name=offering,
                defaults={"offering_type": OfferingType.STANDARD, "price": Decimal(price),
                          "charging_basis": basis, "sla_policy": policy},
            )  # fmt: skip
        services_[name] = service
    approvers, _ = Group.objects.get_or_create(name="ERP approvers")
    approvers.user_set.set([people["approver@example.com"]])
    for name, (service_name, rule, group_name, mode, description, fields, tasks) in ITEMS.items():
        service = services_[service_name]
        item, _ = RequestItem.objects.update_or_create(
            service=service, name=name,
            defaults={"offering": service.offerings.first(), "approval_rule": rule,
                      "approval_group": approvers if group_name else None,
                      "fulfilment_mode": mode, "description": description, "is_active": True},
        )  # fmt: skip
        for order, (key, label, field_type, required, extra) in enumerate(fields, start=1):
            RequestField.objects.update_or_create(
                item=item, name=key,
                defaults={"label": label, "field_type": field_type, "required": required,
                          "order": order * 10, **extra},
            )  # fmt: skip
        for order, (title, group) in enumerate(tasks, start=1):
            TaskTemplate.objects.update_or_create(
                item=item,
                title=title,
                defaults={"order": order * 10, "support_group": groups[group]},
            )
    for title, service_name, keywords, body in ARTICLES:
        Article.objects.update_or_create(
            title=title,
            defaults={"service": services_.get(service_name), "keywords": keywords, "body": body,
                      "summary": body.split(". ")[0][:300], "status": "published"},
        )  # fmt: skip


def load_samples(stdout=None) -> None:
    """The guides' three requests, once (recognised by their requesters, who have no history)."""
    if ServiceRequest.objects.filter(
        requester__email__in=["enduser@example.com", "sara@example.com"]
    ).exists():
        return
    _sample_requests({user.email: user for user in User.objects.all()})


def _request_policy() -> SlaPolicy | None:
    """Requests: fulfilled within three business days, the clock stopped while approval waits."""
    calendar = Calendar.objects.filter(always_open=False).order_by("pk").first()
    if calendar is None:
        return None
    return sla_services.policy_put(
        actor=system_actor(),
        name="Standard requests",
        fields={"record_type": "request", "precedence": 500, "pause_on": ["approval", "customer"],
                "is_active": True},
        targets=[
            {"metric": Metric.FIRST_RESPONSE, "minutes": 240, "calendar": calendar},
            {"metric": Metric.RESOLUTION, "minutes": 27 * 60, "calendar": calendar},
        ],
    )  # fmt: skip


def _sample_requests(people) -> None:
    """A laptop waiting for Omid's approval, a VPN account being fulfilled, one closed and rated."""
    emma, sara = people["enduser@example.com"], people["sara@example.com"]
    laptop = RequestItem.objects.get(name="Laptop")
    vpn = RequestItem.objects.get(name="VPN account")
    services.request_create(
        actor=emma, item=laptop,
        answers={"model": {"label": "Model", "type": "choice", "value": "14-inch standard",
                           "text": "14-inch standard", "order": 0},
                 "needed_by": {"label": "Needed by", "type": "date", "value": "2027-01-15",
                               "text": "2027-01-15", "order": 1},
                 "reason": {"label": "Why do you need it", "type": "text",
                            "value": "My laptop's battery no longer holds a charge.",
                            "text": "My laptop's battery no longer holds a charge.", "order": 2}},
    )  # fmt: skip
    reason = {"reason": {"label": "What do you need it for", "type": "text",
                         "value": "On-call duty from home", "text": "On-call duty from home"}}  # fmt: skip
    services.request_create(actor=sara, item=vpn, answers=reason)
    done = services.request_create(actor=emma, item=vpn, answers=reason)
    network = people["network@example.com"]
    for task in done.tasks.filter(status=TaskStatus.OPEN):
        services.task_take(task_id=task.pk, actor=network)
        services.task_transition(task_id=task.pk, actor=network, target=TaskStatus.DONE)
    done.refresh_from_db()
    services.rate(record=done, actor=emma, score=5, comment="Working the same afternoon.")
