"""A month computed by hand: March 2025 (UTC), a 5x9 desk, first response 1 h, resolution 8 h.

Ten incidents are logged on Monday 3 March 10:00:
- six phone calls resolved on the call (first contact), group A, service Mail;
- MAIL-LATE-REPLY, group A, service Mail: first reply at 12:00 (2 h: response breached), resolved
  at 16:00 (6 business hours: met);
- VPN-LATE-FIX, group B, service VPN: first reply at 10:30 (met), resolved Tuesday 4 March
  11:00 (8 h on Monday + 2 h on Tuesday = 10 business hours: breached; 25 calendar hours);
- four still open: "Still open" (group B) and three major incidents with outage windows;
- one logged and resolved in February, one in April: outside the month.

Expected for March, every filter off:
- resolution clocks 7 met + 1 breached -> 87.5%; response 7 met + 1 breached -> 87.5%;
- first-contact resolution 6 / 8 resolved -> 75%;
- calendar time to resolve: [0 x 6, 6 h, 25 h] -> mean 3.875 h, median 0, p90 11.7 h;
- business time to resolve: [0 x 6, 6 h, 10 h] -> mean 2 h;
- ratings 5,5,5,5,4,4,3,2 -> hotline index (1 - (0x3 + 1x2 + 1x1) / 8) x 100 = 62.5%, mean 4.125.
Mail: one 2 h outage -> (744 - 2) / 744 = 99.731%, MTBF 742 / 2 = 371 h; VPN: outages of 1 h and
3 h -> (744 - 4) / 744 = 99.462%, 2 faults, MTBF 740 / 3 = 246.7 h.
"""

from datetime import UTC, date, datetime

import time_machine
from django.db import transaction

from dashboards import facts
from dashboards.scope import scope_for
from incidents import services
from incidents.choices import IncidentStatus
from servicedesk.services import rating_give
from tests.incidents.factories import (
    RESOLUTION,
    AgentFactory,
    EndUserFactory,
    ServiceFactory,
    SupportGroupFactory,
    transition,
)
from tests.sla.factories import calendar_5x9, policy, switch_off_defaults


def at(day, hour, minute=0, month=3):
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def march():
    return scope_for("custom", start=date(2025, 3, 1), end=date(2025, 3, 31))


def build_month():
    switch_off_defaults()
    policy(calendar=calendar_5x9(), first_response=60, resolution=480)
    agent_a, agent_b = AgentFactory(), AgentFactory()
    group_a = SupportGroupFactory(name="Group A", members=[agent_a])
    group_b = SupportGroupFactory(name="Group B", members=[agent_b])
    mail, vpn = ServiceFactory(name="Mail"), ServiceFactory(name="VPN")
    requester = EndUserFactory()
    made = {"group_a": group_a, "group_b": group_b, "mail": mail, "vpn": vpn, "agents": []}

    def log(agent, group, service, title, **extra):
        with transaction.atomic():
            return services.incident_create(
                actor=agent,
                requester=requester,
                title=title,
                impact="medium",
                urgency="medium",
                support_group=group,
                assignee=agent,
                service=service,
                **extra,
            )

    def reply(incident, agent):
        with transaction.atomic():
            services.incident_comment(
                incident_id=incident.pk, actor=agent, body="<p>We are on it.</p>"
            )

    with time_machine.travel(at(28, 10, month=2), tick=False) as clock:
        old = log(agent_a, group_a, mail, "Logged in February")
        clock.move_to(at(28, 10, 30, month=2))
        transition(old, agent_a, IncidentStatus.RESOLVED)

        clock.move_to(at(3, 10))
        calls = []
        for n in range(6):
            with transaction.atomic():
                calls.append(
                    services.incident_log_call(
                        actor=agent_a,
                        requester=requester,
                        title=f"Password reset {n}",
                        impact="medium",
                        urgency="medium",
                        support_group=group_a,
                        service=mail,
                        resolve_now=True,
                        **RESOLUTION,
                    )
                )
        late_reply = log(agent_a, group_a, mail, "MAIL-LATE-REPLY")
        late_fix = log(agent_b, group_b, vpn, "VPN-LATE-FIX")
        open_one = log(agent_b, group_b, vpn, "Still open")
        major_mail = log(agent_a, group_a, mail, "Mail down", major_incident=True)
        major_vpn = log(agent_b, group_b, vpn, "VPN down", major_incident=True)
        clock.move_to(at(3, 10, 30))
        reply(late_fix, agent_b)
        clock.move_to(at(3, 12))
        reply(late_reply, agent_a)
        clock.move_to(at(3, 16))
        transition(late_reply, agent_a, IncidentStatus.RESOLVED)
        clock.move_to(at(4, 11))
        transition(late_fix, agent_b, IncidentStatus.RESOLVED)
        for incident, agent, windows in (
            (major_mail, agent_a, [(at(10, 8), at(10, 10))]),
            (major_vpn, agent_b, [(at(12, 1), at(12, 2))]),
        ):
            start, end = windows[0]
            with transaction.atomic():
                services.incident_update(
                    incident_id=incident.pk,
                    actor=agent,
                    changes={"outage_started_at": start, "outage_ended_at": end},
                )
        # The second VPN outage is its own major incident (a fault of its own).
        second_vpn = log(agent_b, group_b, vpn, "VPN down again", major_incident=True)
        with transaction.atomic():
            services.incident_update(
                incident_id=second_vpn.pk,
                actor=agent_b,
                changes={"outage_started_at": at(20, 6), "outage_ended_at": at(20, 9)},
            )

        clock.move_to(at(5, 9))
        rater = requester
        for incident, score in zip(
            [*calls, late_reply, late_fix], [5, 5, 5, 5, 4, 4, 3, 2], strict=True
        ):
            rating_give(record=incident, rated_by=rater, score=score)
        clock.move_to(at(2, 9, month=4))
        april = log(agent_a, group_a, mail, "Logged in April")
        transition(april, agent_a, IncidentStatus.RESOLVED)
        rating_give(record=april, rated_by=rater, score=1)

    facts.refresh("incident")
    made.update(
        calls=calls,
        late_reply=late_reply,
        late_fix=late_fix,
        open_one=open_one,
        majors=[major_mail, major_vpn, second_vpn],
    )
    return made
