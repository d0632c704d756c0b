"""Tasks and checklists on any record at volume: `python -m bench.tasks`.

Loads (once; --reset to reload) TASKS tasks on incidents (a tenth of them open, spread over a
few support groups, half with a due time, some of those past) and a checklist of five items on
every second parent, then times in-process (Django test client, DEBUG off): the overdue task
queue page and API, an incident's page with its Tasks and Checklists cards, the two panels'
reads, the resolution guard's read and adding a task (the whole service, rolled back). Prints a
markdown table (docs/tasks.md).

Use a database of its own, e.g.
DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_tasks_bench python -m bench.tasks
"""

import argparse
import random
from datetime import timedelta

from bench.inprocess import bench_person, measure, ok, print_table, start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args(argv)
    start()
    world = _world()
    loaded = _load(world, args.tasks, reset=args.reset)
    rows = _measure(world, runs=args.runs)
    print_table(f"Data: {loaded['tasks']:,} tasks ({loaded['open']:,} open, "
                f"{loaded['overdue']:,} overdue), {loaded['items']:,} checklist items.", rows)  # fmt: skip


def _world():
    from types import SimpleNamespace

    from django.db import transaction

    from accounts.models import SupportGroup
    from accounts.roles import Role, sync_role_groups
    from checklists.models import ChecklistTemplate
    from incidents import services
    from incidents.models import Incident

    sync_role_groups()
    agent = bench_person("bench-tasker@example.com", "Bench Tasker", Role.AGENT)
    groups = [SupportGroup.objects.get_or_create(name=f"Bench tasks {n}")[0] for n in range(4)]
    groups[0].members.add(agent)
    template, _ = ChecklistTemplate.objects.get_or_create(
        name="Bench checklist", record_type="incident", category=None
    )
    if not template.items.exists():
        for order in range(5):
            template.items.create(title=f"Step {order}", required=order < 2, order=order)
    record = Incident.objects.filter(title="Bench tasks incident").first()
    if record is None:
        with transaction.atomic():
            record = services.incident_create(
                actor=agent, title="Bench tasks incident", impact="medium", urgency="medium",
                support_group=groups[0], assignee=agent,
            )  # fmt: skip
    return SimpleNamespace(agent=agent, groups=groups, record=record, template=template)


def _load(world, tasks, *, reset):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from catalogue.models import OPEN_TASK_STATUSES, FulfilmentTask, TaskStatus
    from checklists.models import Checklist, ChecklistItem
    from incidents.models import Incident

    incident_type = ContentType.objects.get_for_model(Incident)
    existing = FulfilmentTask.objects.filter(number__startswith="TSK8").count()
    if reset or existing < tasks:
        FulfilmentTask.objects.filter(number__startswith="TSK8").delete()
        Checklist.objects.filter(name="Bench bulk").delete()
        rng = random.Random(20)
        now = timezone.now()
        start = now - timedelta(days=300)
        batch = 10_000
        for offset in range(0, tasks, batch):
            with transaction.atomic():
                rows = []
                for n in range(offset, min(offset + batch, tasks)):
                    open_ = n % 10 == 0
                    due = None
                    if n % 2 == 0:
                        due = now + timedelta(hours=rng.randint(-200, 400))
                    parent = 10_000_000 + n // 4  # four tasks on each (not loaded) incident
                    rows.append(FulfilmentTask(
                        number=f"TSK8{n:09d}", title=f"Bench task {n}", requester=world.agent,
                        parent_type=incident_type, parent_id=parent, parent_number=f"INC8{parent}",
                        support_group=world.groups[n % 4], order=10 * (n % 4 + 1),
                        status=TaskStatus.OPEN if open_ else TaskStatus.DONE, due_at=due,
                        created_at=start + timedelta(seconds=n * 100),
                    ))  # fmt: skip
                FulfilmentTask.objects.bulk_create(rows)
                checklists = Checklist.objects.bulk_create(
                    Checklist(content_type=incident_type, object_id=10_000_000 + n,
                              name="Bench bulk")
                    for n in range(offset // 8, min(offset + batch, tasks) // 8)
                )  # fmt: skip
                ChecklistItem.objects.bulk_create(
                    ChecklistItem(checklist=c, title=f"Item {i}", required=i < 2, order=i,
                                  done_at=now if rng.random() < 0.7 else None)
                    for c in checklists for i in range(5)
                )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE catalogue_fulfilmenttask; ANALYZE checklists_checklist; "
                "ANALYZE checklists_checklistitem"
            )
    open_rows = FulfilmentTask.objects.filter(status__in=OPEN_TASK_STATUSES)
    return {
        "tasks": FulfilmentTask.objects.count(),
        "open": open_rows.count(),
        "overdue": open_rows.filter(due_at__lt=timezone.now()).count(),
        "items": ChecklistItem.objects.count(),
    }


def _measure(world, runs):
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from catalogue import services
    from catalogue.selectors import record_tasks
    from checklists.selectors import record_checklists
    from checklists.services import required_items_guard
    from servicedesk.workflow import Meaning

    settings.DEBUG = False
    agent = Client()
    agent.force_login(world.agent)
    record = world.record
    if not record_tasks(user=world.agent, record=record):
        with transaction.atomic():
            for n in range(5):
                services.task_add(parent=record, actor=world.agent, title=f"Bench own task {n}",
                                  support_group=world.groups[0])  # fmt: skip

    def add():
        with transaction.atomic():
            services.task_add(parent=record, actor=world.agent, title="Bench added",
                              support_group=world.groups[0])  # fmt: skip
            transaction.set_rollback(True)

    cases = [
        ("Task queue page: overdue (first 50)", lambda: ok(agent.get("/catalogue/tasks/?queue=overdue"))),
        ("Task queue page: my groups (first 50)", lambda: ok(agent.get("/catalogue/tasks/"))),
        ("Tasks API: overdue, first page (50)", lambda: ok(agent.get("/api/v1/tasks/?queue=overdue"))),
        ("Tasks API: one record's tasks (?parent=)", lambda: ok(agent.get(f"/api/v1/tasks/?parent={record.number}"))),
        ("Incident page with Tasks and Checklists cards", lambda: ok(agent.get(f"/incidents/{record.number}/"))),
        ("Tasks card read (record_tasks)", lambda: record_tasks(user=world.agent, record=record)),
        ("Checklists card read (record_checklists)", lambda: record_checklists(record)),
        ("Resolution guard (required items open?)", lambda: required_items_guard(
            record, source="assigned", target="resolved", meaning=Meaning.RESOLVED,
            automatic=False, actor=world.agent, context={})),
        ("Add a task (service, rolled back)", add),
    ]  # fmt: skip
    return measure(cases, runs)


if __name__ == "__main__":
    main()
