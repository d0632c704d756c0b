"""Load N realistic incidents, with their comments and audit trail, into PostgreSQL, fast.

    python -m bench.generate --incidents 1000000 [--reset] [--jobs 2] [--seed 7]

Reference data first, through the ORM: `load_demo --no-history` (roles, demo people, groups, the category
tree, services, routing), then bulk_create of what a large desk has on top: organisations with
departments, ~2,000 requesters, more support groups with their agents, a few hundred
configuration items. Idempotent: a second run creates nothing new.

Then the incidents, in chunks of 50,000, each chunk one transaction of three PostgreSQL COPYs
(incidents, comments, audit events) from in-memory buffers, spread over `--jobs` worker processes
with their own connections (synchronous_commit off for those sessions). Nothing the migrations
own is dropped, recreated or altered: every index, unique and check constraint is maintained
during the load. The foreign keys are the one shortcut: when the user is a superuser and the
tables have no trigger of their own, the loader's sessions run with
`session_replication_role = replica` (the per-row foreign-key triggers do not fire) and every
foreign key of the new rows is verified afterwards with one anti-join per key, which is 2-3x
faster overall. `--keep-triggers` lets the triggers check every row instead.

- created_at spreads over three years (the volume grows 35% a year, office hours and working days
  dominate) and grows with the number, as in a real desk: INC numbers are chronological.
- ~5% open, mostly recent with a stale backlog, over new/assigned/in_progress/pending; the rest
  closed (three days after resolution), resolved (the last three days) or cancelled.
- impact and urgency skewed to medium/low; priority from the database's matrix.
- ids and numbers are reserved from the identity and `servicedesk_number_inc` sequences before
  the load, so records created afterwards continue after the last generated number.
- ~2 comments and ~3 audit events per incident, on the incidents.Incident content type.
- then (unless --no-sla) `bench.sla_data`: the incidents' first-response and resolution SLA
  timers, satisfaction ratings for ~30% of the resolved ones, and major-incident outage windows.

`--reset` truncates the incidents, comments, audit events, attachments, their SLA timers,
ratings and dashboard facts first (and restarts
their sequences: numbers begin again at INC0000001). The target database must have "bench" in its
name unless `--force` is given: this tool is for scratch databases.
"""

import argparse
import io
import math
import os
import random
import sys
import time
from array import array
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from servicedesk.management.demo import vocabulary
from servicedesk.management.demo.vocabulary import (
    AGENT_REPLIES,
    CHANNEL_WEIGHTS,
    DESCRIPTIONS,
    ERRORS,
    FIRST_NAMES,
    IMPACT_WEIGHTS,
    IMPACTS,
    LAST_NAMES,
    PENDING_REASONS,
    PLACES,
    REQUESTER_REPLIES,
    RESOLUTIONS,
    SUBCATEGORIES,
    URGENCY_WEIGHTS,
    WHEN,
    WORK_NOTES,
)

CHUNK_SIZE = 50_000
YEARS = 3
YEARLY_GROWTH = 0.35
OPEN_SHARE = 0.05
CANCELLED_SHARE = 0.04
AUTO_CLOSE_DAYS = 3
DAY = 86_400.0
NULL = r"\N"  # COPY's null

BENCH_DOMAIN = "bench.example.com"

ORGANISATIONS = [
    # name, code, relative size, departments
    ("Fabrikam Manufacturing", "bench-fabrikam", 9, ["Production", "Logistics", "Finance", "HR"]),
    ("Woodgrove Bank", "bench-woodgrove", 8, ["Retail Banking", "Risk", "Treasury", "IT"]),
    ("Adventure Works", "bench-adventure", 7, ["Sales", "Marketing", "Warehouse"]),
    ("Tailspin Toys", "bench-tailspin", 4, ["Design", "Sales", "Customer Care"]),
    ("Wide World Importers", "bench-wwi", 6, ["Purchasing", "Shipping", "Finance"]),
    ("Litware Inc.", "bench-litware", 3, ["Engineering", "Support"]),
    ("Proseware", "bench-proseware", 3, ["Engineering", "Sales"]),
    ("Lucerne Publishing", "bench-lucerne", 4, ["Editorial", "Production", "Rights"]),
    ("Margie's Travel", "bench-margies", 2, ["Bookings", "Finance"]),
    ("Alpine Ski House", "bench-alpine", 2, ["Front Office", "Maintenance"]),
    ("Coho Winery", "bench-coho", 2, ["Cellar", "Sales"]),
    ("Fourth Coffee", "bench-fourth", 3, ["Stores", "Supply Chain", "Finance"]),
]
REQUESTERS = 2_000

EXTRA_GROUPS = {
    "Desktop Support": "Laptops, desktops, printers and office software on site.",
    "Database": "Database servers, backups and performance.",
    "Security": "Firewalls, spam, malware and security incidents.",
    "Identity and Access": "Accounts, permissions, single sign-on.",
    "Telephony": "Desk phones, mobiles and the contact-centre system.",
    "Facilities IT": "Meeting rooms, screens, badges and building systems.",
}
AGENTS_PER_GROUP = 8

# Extra configuration items per service: (prefix, type, how many)
EXTRA_CIS = {
    "Client service": [("LT", "Laptop", 160), ("PC", "Desktop", 60), ("PRN", "Printer", 40)],
    "Internet": [("AP", "Wi-Fi access point", 40), ("SW", "Switch", 24), ("FW", "Firewall", 4)],
    "Remote access (VPN)": [("VPN", "VPN gateway", 4)],
    "E-mail": [("MAIL", "Mail server", 6)],
    "ERP": [("ERP", "Application server", 8), ("DB", "Database server", 6)],
}

# Hours to resolve (exponential mean) and to first respond, by priority.
RESOLVE_HOURS = {1: 4, 2: 12, 3: 30, 4: 60, 5: 120}
RESPOND_HOURS = {1: 0.2, 2: 0.5, 3: 1.5, 4: 4, 5: 8}
STATUS_TEXT = {
    "new": "New", "assigned": "Assigned", "in_progress": "In progress", "pending": "Pending",
    "resolved": "Resolved", "closed": "Closed", "cancelled": "Cancelled",
}  # fmt: skip

INCIDENT_COLUMNS = (
    "id", "number", "title", "description", "created_at", "updated_at", "version", "status",
    "impact", "urgency", "priority", "channel", "major_incident", "pending_reason",
    "resolution_code", "resolution_notes", "resolved_at", "closed_at", "first_responded_at",
    "reassignment_count", "reopen_count", "first_contact_resolution", "assignee_id",
    "category_id", "configuration_item_id", "organisation_id", "parent_id", "requester_id",
    "service_id", "subcategory_id", "support_group_id",
)  # fmt: skip
COMMENT_COLUMNS = ("object_id", "created_at", "body", "visibility", "author_id", "content_type_id")
AUDIT_COLUMNS = (
    "object_id", "created_at", "kind", "field", "old_value", "new_value", "old_text", "new_text",
    "note", "public", "actor_id", "content_type_id",
)  # fmt: skip


# --- What the workers need, built once by the parent -------------------------------------------


@dataclass
class Reference:
    """Ids and weights the workers draw from (plain data: sent to each worker process)."""

    content_type_id: int
    matrix: dict[tuple[str, str], int]
    subcategories: list[tuple]  # (cat_id, sub_id, group_id, service_id, ci_ids, titles)
    sub_weights: list[int]
    group_ids: list[int]
    members: dict[int, list[int]]
    desk_group_id: int
    desk_agents: list[int]
    requesters: list[tuple[int, int | None]]  # (user id, organisation id)
    names: dict[int, str]
    # Values for columns the generator does not know (added by later migrations): column -> text
    extra_columns: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Chunk:
    index: int
    first_id: int
    first_number: int
    timestamps: array
    now: float
    open_scale: float
    seed: int


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")


def _extra_columns(model, known: tuple[str, ...]) -> dict[str, str]:
    """Columns added after this generator was written: their default, or a clear error."""
    from django.db import connection

    extra = {}
    for model_field in model._meta.concrete_fields:
        column = model_field.column
        if column in known or column == "id":
            continue
        if model_field.has_default() or model_field.null:
            if model_field.unique:
                raise SystemExit(f"bench.generate does not know how to fill {column} (unique).")
            value = model_field.get_db_prep_save(model_field.get_default(), connection)
            if hasattr(value, "dumps"):  # JSON adapters
                value = value.dumps(value.adapted)
            extra[column] = _copy_value(value)
        elif model_field.blank and model_field.get_internal_type() in ("CharField", "TextField"):
            extra[column] = ""
        else:
            raise SystemExit(
                f"bench.generate does not know how to fill {model._meta.db_table}.{column}: "
                "teach it in bench/generate.py."
            )
    return extra


# --- Reference data (ORM) ----------------------------------------------------------------------


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _ci_class(classes: dict, ci_type: str):
    """The CI class of a generated CI's type, created (like the data migration does) if new."""
    from cmdb.defaults import class_for_legacy_type
    from cmdb.models import CIClass

    code, name = class_for_legacy_type(ci_type)
    if code not in classes:
        classes[code], _created = CIClass.objects.get_or_create(code=code, defaults={"name": name})
    return classes[code]


def build_reference(out) -> Reference:
    """load_demo, then the extra organisations, people, groups and CIs (idempotent)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Department, Organisation, SupportGroup, User
    from accounts.roles import Role
    from catalogue.models import Service
    from cmdb.models import CIClass, ConfigurationItem
    from incidents.models import Category, Incident, PriorityMatrixCell
    from servicedesk.models import AuditEvent, Comment

    call_command("load_demo", "--no-history", stdout=io.StringIO())
    rng = random.Random(20260101)
    with transaction.atomic():
        Organisation.objects.bulk_create(
            [Organisation(name=name, code=code) for name, code, _size, _d in ORGANISATIONS],
            ignore_conflicts=True,
        )
        orgs = {o.code: o for o in Organisation.objects.filter(code__startswith="bench-")}
        Department.objects.bulk_create(
            [
                Department(organisation=orgs[code], name=department)
                for _name_, code, _size, departments in ORGANISATIONS
                for department in departments
            ],
            ignore_conflicts=True,
        )
        departments: dict[int, list[int]] = {}
        for dept_id, org_id in Department.objects.values_list("id", "organisation_id"):
            departments.setdefault(org_id, []).append(dept_id)

        # Requesters: spread over the organisations by size; no usable password.
        org_codes = [code for _n, code, _s, _d in ORGANISATIONS]
        org_sizes = [size for _n, _c, size, _d in ORGANISATIONS]
        people = []
        for n in range(1, REQUESTERS + 1):
            org = orgs[rng.choices(org_codes, weights=org_sizes)[0]]
            people.append(
                User(
                    email=f"user{n:04d}@{BENCH_DOMAIN}",
                    full_name=_name(rng),
                    organisation=org,
                    department_id=rng.choice(departments[org.pk]),
                    job_title=rng.choice(["Clerk", "Analyst", "Manager", "Engineer", "Assistant"]),
                    password=make_password(None),
                )
            )
        User.objects.bulk_create(people, ignore_conflicts=True, batch_size=1000)

        # More support groups, each with agents (one of them the lead).
        SupportGroup.objects.bulk_create(
            [
                SupportGroup(name=name, description=text, email="")
                for name, text in EXTRA_GROUPS.items()
            ],
            ignore_conflicts=True,
        )
        groups = list(SupportGroup.objects.filter(is_active=True).order_by("name"))
        internal = Organisation.objects.filter(code="internal-it").first()
        agents = []
        for g_index in range(len(groups)):
            for n in range(1, AGENTS_PER_GROUP + 1):
                agents.append(
                    User(
                        email=f"agent{g_index + 1:02d}{n:02d}@{BENCH_DOMAIN}",
                        full_name=_name(rng),
                        organisation=internal,
                        job_title="Service desk analyst",
                        password=make_password(None),
                    )
                )
        User.objects.bulk_create(agents, ignore_conflicts=True, batch_size=1000)
        bench_users = dict(
            User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").values_list("email", "id")
        )
        role_groups = dict(Group.objects.filter(name__in=Role.values).values_list("name", "id"))
        user_groups = User.groups.through
        links = []
        for email, user_id in bench_users.items():
            role = Role.AGENT if email.startswith("agent") else Role.END_USER
            links.append(user_groups(user_id=user_id, group_id=role_groups[role]))
        user_groups.objects.bulk_create(links, ignore_conflicts=True, batch_size=2000)
        membership = SupportGroup.members.through
        links = []
        for g_index, group in enumerate(groups):
            ids = [
                bench_users[f"agent{g_index + 1:02d}{n:02d}@{BENCH_DOMAIN}"]
                for n in range(1, AGENTS_PER_GROUP + 1)
            ]
            links += [membership(supportgroup_id=group.pk, user_id=pk) for pk in ids]
            if group.lead_id is None:
                SupportGroup.objects.filter(pk=group.pk).update(lead_id=ids[0])
        membership.objects.bulk_create(links, ignore_conflicts=True, batch_size=2000)

        services = {s.name: s for s in Service.objects.all()}
        classes = {c.code: c for c in CIClass.objects.all()}
        cis = []
        for service_name, kinds in EXTRA_CIS.items():
            service = services.get(service_name)
            if service is None:
                continue
            for prefix, ci_type, count in kinds:
                cis += [
                    ConfigurationItem(
                        name=f"{prefix}-{n:05d}",
                        ci_class=_ci_class(classes, ci_type),
                        service=service,
                        support_group_id=service.support_group_id,
                    )
                    for n in range(1, count + 1)
                ]
        ConfigurationItem.objects.bulk_create(cis, ignore_conflicts=True)

    # Read everything back as plain ids.
    group_by_name = {g.name: g.pk for g in SupportGroup.objects.filter(is_active=True)}
    members: dict[int, list[int]] = {pk: [] for pk in group_by_name.values()}
    for group_id, user_id in SupportGroup.members.through.objects.values_list(
        "supportgroup_id", "user_id"
    ):
        if group_id in members:
            members[group_id].append(user_id)
    for group in SupportGroup.objects.filter(is_active=True, lead__isnull=False):
        if group.lead_id not in members[group.pk]:
            members[group.pk].append(group.lead_id)
    categories = {
        (c.parent.name if c.parent_id else None, c.name): c.pk
        for c in Category.objects.select_related("parent")
    }
    ci_by_prefix: dict[str, list[int]] = {}
    for pk, name in ConfigurationItem.objects.values_list("pk", "name"):
        ci_by_prefix.setdefault(name.split("-")[0], []).append(pk)
    subcategories, weights = [], []
    for (cat, sub), (weight, group, service, ci_prefix, titles) in SUBCATEGORIES.items():
        if (None, cat) not in categories or (cat, sub) not in categories:
            continue
        subcategories.append(
            (
                categories[None, cat],
                categories[cat, sub],
                group_by_name.get(group) or group_by_name["Service Desk"],
                services[service].pk if service in services else None,
                ci_by_prefix.get(ci_prefix, []) if ci_prefix else [],
                titles,
            )
        )
        weights.append(weight)
    requesters = list(
        User.objects.filter(email__startswith="user", email__endswith=f"@{BENCH_DOMAIN}")
        .order_by("pk")
        .values_list("pk", "organisation_id")
    )
    rng.shuffle(requesters)  # the Zipf draw then favours random people, not the first ids
    ids = {pk for group_members in members.values() for pk in group_members}
    ids |= {pk for pk, _org in requesters}
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "full_name"))
    matrix = {
        (impact, urgency): level
        for impact, urgency, level in PriorityMatrixCell.objects.values_list(
            "impact", "urgency", "priority_id"
        )
    }
    out(
        f"reference data: {len(group_by_name)} support groups, "
        f"{sum(len(m) for m in members.values())} group members, {len(requesters)} requesters "
        f"in {Organisation.objects.count()} organisations, {len(subcategories)} subcategories, "
        f"{len(services)} services, {ConfigurationItem.objects.count()} configuration items"
    )
    return Reference(
        content_type_id=ContentType.objects.get_for_model(Incident).pk,
        matrix=matrix,
        subcategories=subcategories,
        sub_weights=weights,
        group_ids=sorted(group_by_name.values()),
        members=members,
        desk_group_id=group_by_name["Service Desk"],
        desk_agents=members[group_by_name["Service Desk"]],
        requesters=requesters,
        names=names,
        extra_columns={
            "incident": _extra_columns(Incident, INCIDENT_COLUMNS),
            "comment": _extra_columns(Comment, COMMENT_COLUMNS),
            "audit": _extra_columns(AuditEvent, AUDIT_COLUMNS),
        },
    )


# --- Creation times ----------------------------------------------------------------------------


def creation_times(count: int, now: float, rng: random.Random) -> array:
    """`count` sorted epoch seconds over the last YEARS years (see
    servicedesk.management.demo.vocabulary)."""
    return vocabulary.creation_times(count, now, rng, days=365 * YEARS, yearly_growth=YEARLY_GROWTH)


def open_weight(age_days: float) -> float:
    """How likely an incident of this age is still open, before scaling to OPEN_SHARE."""
    return math.exp(-age_days / 10) + 0.15 * math.exp(-age_days / 120)


# --- The workers -------------------------------------------------------------------------------

_worker: dict = {}


def _init_worker(dsn: dict, reference: Reference, skip_triggers: bool) -> None:
    import psycopg2

    connection = psycopg2.connect(**dsn)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        if skip_triggers:
            # Session-only: the foreign-key triggers do not fire for this loader (they are
            # checked once after the load, see verify_foreign_keys). Nothing in the schema moves.
            cursor.execute("SET session_replication_role = replica")
    connection.commit()
    _worker.update(connection=connection, reference=reference)


_DAY_PREFIX: dict[int, str] = {}


def _stamp(ts: float) -> str:
    """Epoch seconds as a PostgreSQL timestamptz literal in UTC (faster than isoformat)."""
    day = int(ts // DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d ")
    seconds = ts - day * DAY
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    micros = int((seconds - int(seconds)) * 1_000_000)
    return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}.{micros:06d}+00"


def _load_chunk(chunk: Chunk) -> tuple[int, int, int, int, float, float]:
    """Generate one chunk and COPY it in one transaction. Returns the row counts and times."""
    started = time.perf_counter()
    buffers = build_chunk(chunk, _worker["reference"])
    generated = time.perf_counter()
    connection = _worker["connection"]
    reference: Reference = _worker["reference"]
    with connection.cursor() as cursor:
        for table, columns, kind, buffer in (
            ("incidents_incident", INCIDENT_COLUMNS, "incident", buffers[0]),
            ("servicedesk_comment", COMMENT_COLUMNS, "comment", buffers[1]),
            ("servicedesk_auditevent", AUDIT_COLUMNS, "audit", buffers[2]),
        ):
            extra = reference.extra_columns.get(kind, {})
            names = ", ".join([*columns, *extra])
            cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
    connection.commit()
    return (
        chunk.index,
        len(chunk.timestamps),
        buffers[3],
        buffers[4],
        generated - started,
        time.perf_counter() - generated,
    )


def build_chunk(chunk: Chunk, ref: Reference):
    """The COPY text of one chunk: (incidents, comments, audit, n_comments, n_audit)."""
    rng = random.Random(chunk.seed * 1_000_003 + chunk.index)
    rand, choice, expo = rng.random, rng.choice, rng.expovariate
    n = len(chunk.timestamps)
    now = chunk.now
    ct = ref.content_type_id
    names = ref.names
    extra_inc = "".join("\t" + v for v in ref.extra_columns.get("incident", {}).values())
    extra_com = "".join("\t" + v for v in ref.extra_columns.get("comment", {}).values())
    extra_aud = "".join("\t" + v for v in ref.extra_columns.get("audit", {}).values())

    # Vectorised draws for the whole chunk.
    subs = rng.choices(ref.subcategories, weights=ref.sub_weights, k=n)
    impacts = rng.choices([v for v, _w in IMPACT_WEIGHTS], [w for _v, w in IMPACT_WEIGHTS], k=n)
    urgencies = rng.choices([v for v, _w in URGENCY_WEIGHTS], [w for _v, w in URGENCY_WEIGHTS], k=n)
    channels = rng.choices([v for v, _w in CHANNEL_WEIGHTS], [w for _v, w in CHANNEL_WEIGHTS], k=n)
    resolutions = rng.choices(RESOLUTIONS, weights=[w for _c, w, _t in RESOLUTIONS], k=n)
    comment_counts = rng.choices([0, 1, 2, 3, 4], weights=[10, 25, 30, 20, 15], k=n)
    # Requesters: a few people log far more than others (Zipf-like over a shuffled list).
    people = ref.requesters
    zipf = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(people))))
    requesters = rng.choices(people, cum_weights=zipf, k=n)

    incidents, comments, audits = io.StringIO(), io.StringIO(), io.StringIO()
    w_inc, w_com, w_aud = incidents.write, comments.write, audits.write
    n_comments = n_audit = 0
    for i in range(n):
        pk = chunk.first_id + i
        number = f"INC{chunk.first_number + i:07d}"
        created = chunk.timestamps[i]
        age_days = (now - created) / DAY
        cat_id, sub_id, home_group, service_id, ci_ids, titles = subs[i]
        impact, urgency = impacts[i], urgencies[i]
        priority = ref.matrix[impact, urgency]
        channel = channels[i]
        requester_id, organisation_id = requesters[i]

        # Who owns it: the subcategory's group, the service desk (first line) or someone else.
        r = rand()
        if r < 0.62:
            group_id, reassignments = home_group, 0
        elif r < 0.87:
            group_id, reassignments = ref.desk_group_id, 0
        else:
            group_id, reassignments = choice(ref.group_ids), 1 + (rand() < 0.3)
        group_members = ref.members.get(group_id) or ref.desk_agents
        assignee_id = choice(group_members)

        # Where it is in its life.
        respond = created + expo(1 / (RESPOND_HOURS[priority] * 3600))
        resolve_at = created + min(expo(1 / (RESOLVE_HOURS[priority] * 3600)), 30 * DAY)
        is_open = rand() < chunk.open_scale * open_weight(age_days) or resolve_at >= now - 60
        resolved_at = closed_at = first_response = None
        pending_reason = resolution_code = resolution_notes = ""
        first_contact = False
        if is_open:
            r = rand()
            if age_days < 1:
                status = (
                    "new" if r < 0.45 else "assigned" if r < 0.7 else
                    "in_progress" if r < 0.95 else "pending"
                )  # fmt: skip
            else:
                status = (
                    "new" if r < 0.08 else "assigned" if r < 0.3 else
                    "in_progress" if r < 0.75 else "pending"
                )  # fmt: skip
            if status == "pending":
                pending_reason = choice(PENDING_REASONS)
            end = now
        elif rand() < CANCELLED_SHARE:
            status, end = "cancelled", min(respond, now)
        else:
            code, _weight, resolution_notes = resolutions[i]
            resolution_code = code
            resolved_at = resolve_at
            first_contact = channel == "phone" and resolve_at - created < 1800
            if now - resolved_at < AUTO_CLOSE_DAYS * DAY:
                status = "resolved"
            else:
                status = "closed"
                closed_at = resolved_at + (
                    AUTO_CLOSE_DAYS * DAY if rand() < 0.6 else rand() * AUTO_CLOSE_DAYS * DAY
                )
            end = closed_at or resolved_at
        if status == "new" or (status == "cancelled" and rand() < 0.6):
            assignee_id = None
        respond = min(respond, end)

        # Comments: an agent's reply first, then the requester, then work notes and replies.
        last = created
        n_c = comment_counts[i] if status != "new" else min(comment_counts[i], 1)
        span = max(end - respond, 60.0)
        for c in range(n_c):
            at = respond + span * (c + rand()) / (n_c + 1)
            if c % 2 == 1:
                author, body, visibility = requester_id, choice(REQUESTER_REPLIES), "public"
            else:
                author = assignee_id or choice(group_members)
                if c == 2:
                    body, visibility = choice(WORK_NOTES), "internal"
                else:
                    body, visibility = choice(AGENT_REPLIES), "public"
                    if first_response is None:
                        first_response = at
            w_com(f"{pk}\t{_stamp(at)}\t{body}\t{visibility}\t{author}\t{ct}{extra_com}\n")
            last = max(last, at)
        n_comments += n_c
        if first_response is None and assignee_id and status != "cancelled":
            first_response = respond

        # Audit: created, assigned, the status changes that brought it where it is.
        if channel == "portal":
            creator = requester_id
        elif channel == "phone":
            creator = choice(ref.desk_agents)
        else:
            creator = None  # e-mail intake, monitoring, API integrations: the system
        events = [(created, creator, "created", "", NULL, NULL, "", number, "")]
        if assignee_id and (status != "closed" or rand() < 0.3):
            events.append(
                (respond, choice(group_members), "assigned", "assignee", NULL, str(assignee_id),
                 "", names.get(assignee_id, ""), "")
            )  # fmt: skip
        if status in ("assigned", "in_progress", "pending"):
            events.append(_status_event(respond, assignee_id, "new", status))
        elif status == "cancelled":
            events.append(_status_event(end, choice(group_members), "new", "cancelled"))
        elif status in ("resolved", "closed"):
            events.append(_status_event(resolved_at, assignee_id, "in_progress", "resolved"))
            if closed_at:
                auto = closed_at - resolved_at >= AUTO_CLOSE_DAYS * DAY - 1
                note = "Closed automatically 3 days after resolution." if auto else ""
                actor = None if auto else requester_id
                events.append(_status_event(closed_at, actor, "resolved", "closed", note))
        for at, actor, kind, fld, old, new, old_text, new_text, note in events:
            w_aud(
                f"{pk}\t{_stamp(at)}\t{kind}\t{fld}\t{old}\t{new}\t{old_text}\t{new_text}\t{note}"
                f"\tt\t{actor or NULL}\t{ct}{extra_aud}\n"
            )
            last = max(last, at)
        n_audit += len(events)

        # The incident itself.
        title = choice(titles) + choice(PLACES)
        description = choice(DESCRIPTIONS).format(
            title=title,
            title_lower=title[0].lower() + title[1:],
            when=choice(WHEN),
            impact=choice(IMPACTS),
            error=choice(ERRORS),
        )
        ci_id = choice(ci_ids) if ci_ids and rand() < 0.6 else None
        major = priority == 1 and rand() < 0.03
        w_inc(
            f"{pk}\t{number}\t{title}\t{description}\t{_stamp(created)}\t{_stamp(last)}\t"
            f"{len(events) + (n_c > 0)}\t{status}\t{impact}\t{urgency}\t{priority}\t{channel}\t"
            f"{'t' if major else 'f'}\t{pending_reason}\t{resolution_code}\t{resolution_notes}\t"
            f"{_opt_stamp(resolved_at)}\t{_opt_stamp(closed_at)}\t{_opt_stamp(first_response)}\t"
            f"{reassignments}\t0\t{'t' if first_contact else 'f'}\t{_opt(assignee_id)}\t"
            f"{cat_id}\t{_opt(ci_id)}\t{_opt(organisation_id)}\t\\N\t{requester_id}\t"
            f"{_opt(service_id)}\t{sub_id}\t{group_id}{extra_inc}\n"
        )
    incidents.seek(0)
    comments.seek(0)
    audits.seek(0)
    return incidents, comments, audits, n_comments, n_audit


def _status_event(at, actor, old, new, note=""):
    return (at, actor, "status_changed", "status", f'"{old}"', f'"{new}"', STATUS_TEXT[old],
            STATUS_TEXT[new], note)  # fmt: skip


def _opt(value) -> str:
    return NULL if value is None else str(value)


def _opt_stamp(value) -> str:
    return NULL if value is None else _stamp(value)


# --- The run -----------------------------------------------------------------------------------


@dataclass
class Result:
    incidents: int = 0
    comments: int = 0
    audit_events: int = 0
    first_number: str = ""
    last_number: str = ""
    reference_seconds: float = 0.0
    load_seconds: float = 0.0
    verify_seconds: float | None = None  # None: the foreign-key triggers checked every row
    analyze_seconds: float = 0.0

    @property
    def total_seconds(self) -> float:
        verify = self.verify_seconds or 0.0
        return self.reference_seconds + self.load_seconds + verify + self.analyze_seconds

    def summary(self) -> str:
        rows = self.incidents + self.comments + self.audit_events
        rate = self.incidents / self.load_seconds if self.load_seconds else 0
        return (
            f"{self.incidents:,} incidents ({self.first_number}..{self.last_number}), "
            f"{self.comments:,} comments, {self.audit_events:,} audit events = {rows:,} rows. "
            f"Reference data {self.reference_seconds:.1f} s, COPY {self.load_seconds:.1f} s "
            f"({rate:,.0f} incidents/s, {rows / max(self.load_seconds, 1e-9):,.0f} rows/s), "
            + (
                "foreign keys checked row by row by their triggers, "
                if self.verify_seconds is None
                else f"foreign keys verified after the load {self.verify_seconds:.1f} s, "
            )
            + f"VACUUM ANALYZE {self.analyze_seconds:.1f} s; total {self.total_seconds:.1f} s."
        )


def check_target(force: bool) -> None:
    from bench.env import database_name, require_postgresql

    require_postgresql()
    name = database_name()
    if not force and "bench" not in name:
        raise SystemExit(
            f"Refusing to generate into database {name!r}: its name has no 'bench' in it. "
            "Use a scratch database (e.g. servicedesk_bench) or pass --force."
        )


def reset(out) -> None:
    """Empty the incidents, the timeline tables, the outbox and the SLA timers (which point at
    incidents by content type and id, so no cascade reaches them); numbers start again at
    INC0000001."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_incident, servicedesk_comment, servicedesk_auditevent, "
            "servicedesk_attachment, servicedesk_notification, sla_slatimer, "
            "sla_escalationfiring RESTART IDENTITY CASCADE"
        )
        cursor.execute("SELECT setval('servicedesk_number_inc', 1, false)")
        from bench.sla_data import clear

        clear(cursor)  # the incidents' SLA timers, ratings and dashboard facts
    notices = [n.strip() for n in getattr(connection.connection, "notices", [])]
    out("reset: incidents, comments, audit events, attachments, timers and ratings truncated")
    for notice in notices:
        out(f"  {notice}")


LOADED_TABLES = ("incidents_incident", "servicedesk_comment", "servicedesk_auditevent")


def can_skip_triggers() -> tuple[bool, str]:
    """Replica mode needs a superuser, and is only safe when the tables have no trigger but the
    foreign keys' (which verify_foreign_keys replaces): a later trigger (search vector, audit)
    must fire, so its presence turns the fast path off."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False, "not a superuser"
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])",
            [list(LOADED_TABLES)],
        )
        if cursor.fetchone()[0]:
            return False, "the tables have triggers of their own"
    return True, ""


def verify_foreign_keys(after_ids: dict[str, int]) -> None:
    """Every single-column foreign key of the loaded rows (id > after_ids[table]) points at a
    row: one anti-join per key. Raises SystemExit naming the first broken one."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(
                """
                SELECT c.conname, a.attname, c.confrelid::regclass::text, af.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
                WHERE c.contype = 'f' AND c.conrelid = %s::regclass
                  AND cardinality(c.conkey) = 1
                """,
                [table],
            )
            for name, column, target, target_column in cursor.fetchall():
                # Names from the system catalogue, not from input.
                sql = (
                    f'SELECT t.id FROM {table} t WHERE t.id > %s AND t."{column}" IS NOT NULL '  # noqa: S608
                    f'AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r."{target_column}" = '
                    f't."{column}") LIMIT 1'
                )
                cursor.execute(sql, [after_ids[table]])
                broken = cursor.fetchone()
                if broken:
                    raise SystemExit(
                        f"{table} row {broken[0]} breaks foreign key {name} ({column}): "
                        "run again with --reset (and tell whoever changed the generator)."
                    )


def _max_ids() -> dict[str, int]:
    from django.db import connection

    ids = {}
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - constant
            ids[table] = cursor.fetchone()[0]
    return ids


def _reserve(sequence_sql: str, count: int) -> int:
    """Take `count` consecutive values of a sequence; returns the first."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval({sequence_sql})")
        first = cursor.fetchone()[0]
        if count > 1:
            cursor.execute(f"SELECT setval({sequence_sql}, %s)", [first + count - 1])
    return first


def generate(
    *,
    incidents: int,
    reset_first: bool = False,
    jobs: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    seed: int = 7,
    force: bool = False,
    vacuum: bool = True,
    keep_triggers: bool = False,
    sla: bool = True,
    out=print,
) -> Result:
    from django.conf import settings
    from django.db import connection, connections

    check_target(force)
    result = Result()
    started = time.perf_counter()
    if reset_first:
        reset(out)
    reference = build_reference(out)
    result.reference_seconds = time.perf_counter() - started
    if incidents <= 0:
        return result

    started = time.perf_counter()
    now = time.time()
    timestamps = creation_times(incidents, now, random.Random(seed))
    total_weight = sum(open_weight((now - ts) / DAY) for ts in timestamps)
    open_scale = OPEN_SHARE * incidents / total_weight
    first_id = _reserve("pg_get_serial_sequence('incidents_incident', 'id')", incidents)
    first_number = _reserve("'servicedesk_number_inc'", incidents)
    result.first_number = f"INC{first_number:07d}"
    result.last_number = f"INC{first_number + incidents - 1:07d}"
    db = settings.DATABASES["default"]
    dsn = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    dsn = {k: v for k, v in dsn.items() if v}
    jobs = jobs or max(2, os.cpu_count() or 2)
    chunks = [
        Chunk(
            index=index,
            first_id=first_id + start,
            first_number=first_number + start,
            timestamps=timestamps[start : start + chunk_size],
            now=now,
            open_scale=open_scale,
            seed=seed,
        )
        for index, start in enumerate(range(0, incidents, chunk_size))
    ]
    out(
        f"loading {incidents:,} incidents ({result.first_number}..{result.last_number}) "
        f"in {len(chunks)} chunks with {jobs} worker processes"
    )
    skip_triggers, why = (False, "--keep-triggers") if keep_triggers else can_skip_triggers()
    out(
        "foreign keys: verified once after the load (triggers off for the loader's sessions)"
        if skip_triggers
        else f"foreign keys: checked row by row by their triggers ({why})"
    )
    before = _max_ids()
    connections.close_all()
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(dsn, reference, skip_triggers),
    ) as pool:
        pending = {pool.submit(_load_chunk, chunk) for chunk in chunks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                _index, n_inc, n_com, n_aud, gen_s, copy_s = future.result()
                result.incidents += n_inc
                result.comments += n_com
                result.audit_events += n_aud
                elapsed = time.perf_counter() - started
                out(
                    f"  {result.incidents:>10,} incidents  {result.comments:>10,} comments  "
                    f"{result.audit_events:>10,} audit  {elapsed:6.1f} s  "
                    f"({result.incidents / elapsed:,.0f} incidents/s; chunk: generate "
                    f"{gen_s:.1f} s, COPY {copy_s:.1f} s)"
                )
    result.load_seconds = time.perf_counter() - started

    if skip_triggers:
        started = time.perf_counter()
        verify_foreign_keys(before)
        result.verify_seconds = time.perf_counter() - started

    if sla:
        from bench.sla_data import load as load_sla_data

        load_sla_data(out)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in [*LOADED_TABLES, "accounts_user"]:
            cursor.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {table}")
    result.analyze_seconds = time.perf_counter() - started
    _forget_cached_counts()
    out(result.summary())
    return result


def _forget_cached_counts() -> None:
    """The priority matrix and such are cached by the app: nothing here changes them, but the
    cache may belong to an older database of the same name."""
    from django.core.cache import cache

    try:
        cache.clear()
    except Exception as error:  # noqa: BLE001 - the cache is optional for the generator
        print(f"(could not clear the cache: {error})", file=sys.stderr)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--incidents", type=int, default=100_000, help="how many (100000)")
    parser.add_argument("--reset", action="store_true", help="truncate incidents etc. first")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (CPU count)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-vacuum", action="store_true", help="ANALYZE only, no VACUUM")
    parser.add_argument("--force", action="store_true", help="allow a database without 'bench'")
    parser.add_argument(
        "--keep-triggers",
        action="store_true",
        help="let the foreign-key triggers check every row (slower) instead of one check after",
    )
    parser.add_argument(
        "--no-sla",
        action="store_true",
        help="no SLA timers, satisfaction ratings or outage windows (bench.sla_data)",
    )
    args = parser.parse_args(argv)

    from bench.env import configure, describe_database, prepare_database

    configure(broker="memory://")
    print(f"database: {describe_database()}")
    prepare_database()
    generate(
        incidents=args.incidents,
        reset_first=args.reset,
        jobs=args.jobs,
        chunk_size=args.chunk_size,
        seed=args.seed,
        force=args.force,
        vacuum=not args.no_vacuum,
        keep_triggers=args.keep_triggers,
        sla=not args.no_sla,
    )


if __name__ == "__main__":
    main()
