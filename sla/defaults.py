"""The default SLA set-up for a new installation: the seed's 5x9 service desk hours, a 24x7
calendar, one incident policy per priority with the seed's resolution targets, and warnings at
75% and breach notices at 100% (ITIL.md; DESIGN.md)."""

from datetime import time

# priority -> (first response minutes, resolution minutes); P5 "as planned" has no policy.
INCIDENT_TARGETS = {1: (15, 60), 2: (30, 8 * 60), 3: (60, 24 * 60), 4: (4 * 60, 48 * 60)}

RULES = [
    # name, metric, percent, action
    ("Warn the assignee at 75% (first response)", "first_response", 75, "notify_assignee"),
    ("Tell the group lead at breach (first response)", "first_response", 100, "notify_group_lead"),
    ("Warn the assignee at 75% (resolution)", "resolution", 75, "notify_assignee"),
    ("Tell the group lead at breach (resolution)", "resolution", 100, "notify_group_lead"),
]


def seed_sla_defaults(apps, time_zone: str = "UTC") -> None:
    """Create the defaults unless calendars already exist. Takes the (historical) app registry."""
    calendar_model = apps.get_model("sla", "Calendar")
    if calendar_model.objects.exists():
        return
    hours_model = apps.get_model("sla", "WorkingHours")
    policy_model = apps.get_model("sla", "SlaPolicy")
    target_model = apps.get_model("sla", "SlaTarget")
    rule_model = apps.get_model("sla", "EscalationRule")
    desk = calendar_model.objects.create(name="Service desk hours (5x9)", time_zone=time_zone)
    hours_model.objects.bulk_create(
        hours_model(calendar=desk, weekday=day, start=time(9), end=time(18)) for day in range(5)
    )
    calendar_model.objects.create(name="Around the clock (24x7)", time_zone=time_zone,
                                  always_open=True)  # fmt: skip
    for priority, (response, resolution) in INCIDENT_TARGETS.items():
        policy = policy_model.objects.create(
            name=f"Incidents P{priority}",
            kind="sla",
            record_type="incident",
            priority=priority,
            precedence=100 + priority,
            pause_on=["customer", "supplier"],
        )
        target_model.objects.create(policy=policy, metric="first_response", minutes=response,
                                    calendar=desk)  # fmt: skip
        target_model.objects.create(policy=policy, metric="resolution", minutes=resolution,
                                    calendar=desk)  # fmt: skip
    for name, metric, percent, action in RULES:
        rule_model.objects.create(name=name, metric=metric, percent=percent, action=action)
