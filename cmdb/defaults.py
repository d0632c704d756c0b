"""The CI classes every installation starts with, and how an old free-text CI type maps to one.

Used by the data migration that seeds the classes (and moves the old `ci_type` text), by the demo
and by the benchmark generator. Administrators add classes and attributes in the admin.
"""

from django.utils.text import slugify

# code: (name, is_business_service, is_location, [(attr code, label, type, required, choices)])
STANDARD_CLASSES = {
    "business_service": ("Business service", True, False, [
        ("users", "Number of users", "number", False, []),
        ("service_hours", "Service hours", "choice", False, ["24x7", "business hours"]),
    ]),
    "technical_service": ("Technical service", False, False, [
        ("sla_tier", "SLA tier", "choice", False, ["gold", "silver", "bronze"]),
    ]),
    "application": ("Application", False, False, [
        ("vendor", "Vendor", "text", False, []),
        ("version", "Version", "text", False, []),
        ("url", "URL", "text", False, []),
    ]),
    "database": ("Database", False, False, [
        ("engine", "Engine", "choice", True, ["PostgreSQL", "Oracle", "SQL Server", "MySQL"]),
        ("size_gb", "Size (GB)", "number", False, []),
    ]),
    "virtual_machine": ("Virtual machine", False, False, [
        ("os", "Operating system", "text", False, []),
        ("vcpus", "vCPUs", "number", False, []),
        ("memory_gb", "Memory (GB)", "number", False, []),
    ]),
    "server": ("Server", False, False, [
        ("serial_number", "Serial number", "text", False, []),
        ("cpu_cores", "CPU cores", "number", False, []),
        ("memory_gb", "Memory (GB)", "number", False, []),
        ("warranty_end", "Warranty end", "date", False, []),
    ]),
    "network_device": ("Network device", False, False, [
        ("device_type", "Device type", "choice", False,
         ["switch", "router", "firewall", "load balancer", "access point", "gateway"]),
        ("ip_address", "Management IP address", "text", False, []),
    ]),
    "storage": ("Storage", False, False, [
        ("capacity_tb", "Capacity (TB)", "number", False, []),
    ]),
    "location": ("Location", False, True, [
        ("address", "Address", "text", False, []),
    ]),
    "other": ("Other", False, False, []),
}  # fmt: skip

# First keyword found (in the lowercased text) wins.
_KEYWORDS = [
    ("database", "database"), ("db", "database"), ("sql", "database"),
    ("virtual", "virtual_machine"), ("vm", "virtual_machine"),
    ("switch", "network_device"), ("router", "network_device"), ("rtr", "network_device"),
    ("firewall", "network_device"), ("fw", "network_device"), ("access point", "network_device"),
    ("gateway", "network_device"), ("gw", "network_device"), ("network", "network_device"),
    ("storage", "storage"), ("san", "storage"), ("nas", "storage"),
    ("application", "application"), ("app", "application"),
    ("server", "server"), ("host", "server"), ("esx", "server"),
    ("business service", "business_service"), ("service", "technical_service"),
    ("location", "location"), ("site", "location"), ("room", "location"),
]  # fmt: skip


def class_for_legacy_type(ci_type: str, name: str = "") -> tuple[str, str]:
    """(code, name) of the class an old free-text type (or, when empty, the CI's name) maps to.

    A type that matches no keyword becomes a class of its own ("Laptop" -> laptop), so nothing an
    administrator typed is lost; an empty type and a name with no keyword give "other".
    """
    import re

    text = (ci_type or "").strip()
    for probe in (text, name):
        words = " ".join(re.split(r"[^a-z0-9]+", probe.lower()))
        for keyword, code in _KEYWORDS:
            if re.search(rf"(^|\s){re.escape(keyword)}(\s|$|\d)", words):
                return code, STANDARD_CLASSES[code][0]
        if probe == text and text:
            return slugify(text)[:60] or "other", text[:100]
    return "other", STANDARD_CLASSES["other"][0]


def seed_classes(ci_class_model, attribute_model) -> dict:
    """Create the standard classes and their attributes when missing. Idempotent."""
    classes = {}
    for code, (name, business, location, attributes) in STANDARD_CLASSES.items():
        ci_class, _created = ci_class_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "is_business_service": business, "is_location": location},
        )
        classes[code] = ci_class
        for order, (attr_code, label, attr_type, required, choices) in enumerate(attributes):
            attribute_model.objects.get_or_create(
                ci_class=ci_class,
                code=attr_code,
                defaults={"label": label, "type": attr_type, "required": required,
                          "choices": choices, "order": (order + 1) * 10},
            )  # fmt: skip
    return classes
