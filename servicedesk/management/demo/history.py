"""A few months of service desk history for `load_demo`, so every dashboard has something real.

What it writes, all with bulk_create (the rows the services would have written, not the
services themselves, which would take minutes):

- customers: people of the demo organisations who call the desk (no usable password);
- incidents (`demo.incidents`, in this package) over the last `days` days, in office hours
  mostly, with the mixes of `demo.vocabulary` (category, service, group, impact and urgency,
  channel): their first reply, pauses awaiting the customer, resolution with a code, closing
  three days later, a few reopened, reassigned or cancelled, some resolved at first contact on the phone, and the
  open backlog of the last days (a few stale ones, some past due);
- the major incidents with their outage windows (`incidents.OUTAGES`: some services meet the
  availability and MTBF targets, some do not);
- per incident its SLA timers on the real policies and calendars (`demo.clock`),
  the comments and audit events of the key steps, and a satisfaction rating for about a third
  of the resolved ones;
- service requests the same way (`demo.requests`);
- then (`refresh_dashboards`) the dashboards' facts, rebuilt in full.

Deterministic: one seeded random generator, times relative to the moment of the first load.
Loaded once: the customers' incidents mark the history as present (`history_present`), and a
second run adds nothing.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accounts.models import Department, Organisation, SupportGroup, User
from accounts.roles import Role
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents.models import Category, Incident, PriorityMatrixCell
from servicedesk.actors import system_actor
from servicedesk.bulk import stored_as_given  # noqa: F401 (the demo loaders import it from here)
from servicedesk.management.demo import vocabulary as words
from servicedesk.management.demo.clock import Policies
from servicedesk.models import AuditEvent, AuditKind, Comment, SatisfactionRating

DAYS = 90
INCIDENTS = 3_000
REQUESTS = 300
SEED = 2026
HOUR = 3600.0
DAY = 86_400.0

CUSTOMER_DOMAIN = "customers.example.com"
# organisation code: (customers, departments), the Internal IT staff call the desk too.
CUSTOMERS = {"northwind": 48, "contoso": 30, "internal-it": 12}

# The vocabulary's groups a smaller desk does not have: who does that work in the demo.
GROUP_STANDS_IN = {
    "Desktop Support": "Service Desk",
    "Identity and Access": "Service Desk",
    "Telephony": "Network",
    "Security": "Applications",
    "Database": "Servers",
}
RATED_SHARE = 0.35
SCORE_WEIGHTS = [2, 3, 7, 28, 60]  # 1-5
AUTO_CLOSE_DAYS = 3

RATING_COMMENTS = {
    1: ["Took far too long and nobody told me what was happening.", "Still not fixed properly."],
    2: ["I had to chase this twice.", "Solved in the end, but slowly."],
    3: ["OK.", "Fine, although the first answer did not help."],
    4: ["Thanks, works again.", "Good, quick answer."],
    5: ["Excellent, solved the same morning!", "Very friendly and fast, thank you.",
        "Perfect, thank you."],
}  # fmt: skip


@dataclass
class Reference:
    """Ids the generator draws from, read once."""

    now: datetime
    groups: dict[str, SupportGroup]
    members: dict[int, list[int]]
    names: dict[int, str]
    customers: list[tuple[int, int | None]]
    zipf: list[float]
    subcategories: list[tuple]
    weights: list[int]
    matrix: dict[tuple[str, str], int]
    services: dict[str, Service]
    incident_ct: int
    policies: Policies


def history_present() -> bool:
    return Incident.objects.filter(requester__email__endswith=f"@{CUSTOMER_DOMAIN}").exists()


def load(
    *,
    days: int = DAYS,
    incidents: int = INCIDENTS,
    requests: int = REQUESTS,
    seed: int = SEED,
    now: datetime | None = None,
) -> dict | None:
    """Create the customers (every run: idempotent) and, the first time only, the history.

    Returns what was created ({"incidents": n, ...}), or None when the history was there.
    """
    from servicedesk.management.demo import incidents as incident_history
    from servicedesk.management.demo import requests as request_history

    started = time.perf_counter()
    with transaction.atomic():
        customers = ensure_customers()
        if history_present() or incidents <= 0:
            return None
        now = now or timezone.now()
        rng = random.Random(seed)
        ref = reference(now, customers)
        counts = incident_history.load(ref, rng, days=days, count=incidents)
        counts.update(request_history.load(ref, rng, days=days, count=requests))
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def refresh_dashboards() -> int:
    """Rebuild every dashboard fact and monthly sum now (the beat would, within a minute)."""
    from dashboards import facts

    return sum(facts.refresh_all(full=True).values())


# --- People ------------------------------------------------------------------------------------


def ensure_customers() -> list[User]:
    """The demo organisations' callers: created when missing, put back in their organisation
    and role when changed. Deterministic names; no usable password (they never sign in)."""
    rng = random.Random(SEED)
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=CUSTOMERS)}
    departments: dict[int, list[Department]] = {}
    for department in Department.objects.filter(organisation__in=organisations.values()):
        departments.setdefault(department.organisation_id, []).append(department)
    wanted = []
    taken = set()
    for code, count in CUSTOMERS.items():
        organisation = organisations.get(code)
        if organisation is None:
            continue
        for n in range(1, count + 1):
            while True:
                first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
                if (first, last) not in taken:
                    taken.add((first, last))
                    break
            department = sorted(departments[organisation.pk], key=lambda d: d.name)[
                n % len(departments[organisation.pk])
            ]
            wanted.append(
                User(
                    email=f"{first}.{last}.{n:02d}@{CUSTOMER_DOMAIN}".lower(),
                    full_name=f"{first} {last}",
                    organisation=organisation,
                    department=department,
                    job_title=rng.choice(["Clerk", "Analyst", "Manager", "Engineer", "Nurse"]),
                    password=make_password(None),
                )
            )
    User.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=500)
    people = {u.email: u for u in User.objects.filter(email__endswith=f"@{CUSTOMER_DOMAIN}")}
    for person in wanted:
        stored = people[person.email]
        if (stored.organisation_id, stored.department_id, stored.is_active, stored.language) != (
            person.organisation_id,
            person.department_id,
            True,
            "",
        ):
            stored.organisation_id, stored.department_id = (
                person.organisation_id,
                person.department_id,
            )
            stored.is_active, stored.language = True, ""
            stored.save(update_fields=["organisation", "department", "is_active", "language"])
    end_users = Group.objects.get(name=Role.END_USER)
    links = User.groups.through
    ids = [people[p.email].pk for p in wanted]
    links.objects.filter(user_id__in=ids).exclude(group=end_users).delete()
    links.objects.bulk_create(
        [links(user_id=pk, group_id=end_users.pk) for pk in ids], ignore_conflicts=True
    )
    return [people[p.email] for p in wanted]


def reference(now: datetime, customers: list[User]) -> Reference:
    groups = {g.name: g for g in SupportGroup.objects.filter(is_active=True)}
    members: dict[int, list[int]] = {g.pk: [] for g in groups.values()}
    for group_id, user_id in SupportGroup.members.through.objects.filter(
        supportgroup__in=groups.values()
    ).values_list("supportgroup_id", "user_id"):
        members[group_id].append(user_id)
    for group in groups.values():
        members[group.pk].sort()
    categories = {
        (c.parent.name if c.parent is not None else None, c.name): c.pk
        for c in Category.objects.select_related("parent")
    }
    services = {s.name: s for s in Service.objects.all()}
    cis: dict[str, list[int]] = {}
    for pk, name in ConfigurationItem.objects.order_by("pk").values_list("pk", "name"):
        cis.setdefault(name.split("-")[0].split(" ")[0], []).append(pk)
    subcategories, weights = [], []
    for (cat, sub), (weight, group_name, service, prefix, titles) in words.SUBCATEGORIES.items():
        if (None, cat) not in categories or (cat, sub) not in categories:
            continue
        if group_name not in groups:
            group_name = GROUP_STANDS_IN.get(group_name, "Service Desk")
        subcategories.append(
            (
                categories[None, cat],
                categories[cat, sub],
                groups[group_name].pk,
                services[service].pk if service in services else None,
                cis.get(prefix, []) if prefix else [],
                titles,
            )
        )
        weights.append(weight)
    rng = random.Random(SEED + 1)
    callers = [(c.pk, c.organisation_id) for c in customers]
    rng.shuffle(callers)  # a few people call far more often than others
    zipf = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(callers))))
    ids = {pk for group in members.values() for pk in group} | {pk for pk, _o in callers}
    return Reference(
        now=now,
        groups=groups,
        members=members,
        names=dict(User.objects.filter(pk__in=ids).values_list("pk", "full_name")),
        customers=callers,
        zipf=zipf,
        subcategories=subcategories,
        weights=weights,
        matrix={
            (impact, urgency): level
            for impact, urgency, level in PriorityMatrixCell.objects.values_list(
                "impact", "urgency", "priority_id"
            )
        },
        services=services,
        incident_ct=ContentType.objects.get_for_model(Incident).pk,
        policies=Policies("incident"),
    )


# --- Shared pieces -----------------------------------------------------------------------------


def share(rng: random.Random, median: float, spread: float) -> float:
    return median * math.exp(rng.gauss(0, spread))


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Timeline:
    """The comments and audit events of generated records, written in bulk at the end."""

    def __init__(self, content_type_id: int, names: dict[int, str]):
        self.ct = content_type_id
        self.names = names
        self.comments: list[Comment] = []
        self.events: list[AuditEvent] = []
        self.system = system_actor().pk  # who automation's events name

    def event(self, pk, at, actor, kind, *, field_name="", old=None, new=None, old_text="",
              new_text="", note="", public=True) -> None:  # fmt: skip
        self.events.append(
            AuditEvent(
                content_type_id=self.ct,
                object_id=pk,
                created_at=at,
                actor_id=actor,
                kind=kind,
                field=field_name,
                old_value=old,
                new_value=new,
                old_text=old_text,
                new_text=new_text,
                note=note,
                public=public,
            )  # fmt: skip
        )

    def status(self, pk, at, actor, old, new, labels, note="") -> None:
        self.event(pk, at, actor, AuditKind.STATUS_CHANGED, field_name="status", old=old, new=new,
                   old_text=str(labels[old]), new_text=str(labels[new]), note=note)  # fmt: skip

    def assigned(self, pk, at, actor, assignee, previous=None) -> None:
        self.event(pk, at, actor, AuditKind.ASSIGNED, field_name="assignee", old=previous,
                   new=assignee, old_text=self.names.get(previous, "") if previous else "",
                   new_text=self.names.get(assignee, ""), public=False)  # fmt: skip

    def regrouped(self, pk, at, actor, old_group, new_group) -> None:
        self.event(pk, at, actor, AuditKind.ASSIGNED, field_name="support_group",
                   old=old_group.pk, new=new_group.pk, old_text=old_group.name,
                   new_text=new_group.name, public=False)  # fmt: skip

    def comment(self, pk, at, author, body, internal=False) -> None:
        self.comments.append(
            Comment(
                content_type_id=self.ct,
                object_id=pk,
                created_at=at,
                author_id=author,
                body=body,
                visibility="internal" if internal else "public",
            )  # fmt: skip
        )

    def save(self) -> tuple[int, int]:
        Comment.objects.bulk_create(self.comments, batch_size=1000)
        AuditEvent.objects.bulk_create(self.events, batch_size=1000)
        return len(self.comments), len(self.events)


def rate(rng, ratings, *, ct, pk, requester, resolved, now) -> None:
    if rng.random() >= RATED_SHARE:
        return
    score = rng.choices([1, 2, 3, 4, 5], SCORE_WEIGHTS)[0]
    at = min(resolved + timedelta(hours=rng.expovariate(1 / 20)), now - timedelta(minutes=5))
    comment = rng.choice(RATING_COMMENTS[score]) if rng.random() < 0.35 else ""
    ratings.append(
        SatisfactionRating(
            content_type_id=ct,
            object_id=pk,
            created_at=at,
            rated_by_id=requester,
            score=score,
            comment=comment,
        )  # fmt: skip
    )
