"""Service requests, fulfilment tasks and deflection at volume: `python -m bench.requests`.

Loads (once; --reset to reload) REQUESTS service requests with two fulfilment tasks each over a
few support groups, and ARTICLES published knowledge articles, then times in-process (Django test
client, DEBUG off) the agent task queue page, the tasks API's first and a deep keyset page, the
portal's "my requests and incidents" page, the catalogue page, the deflection search (PostgreSQL
full-text on the GIN index) and ordering an item with manager approval (the whole service:
record, approval, SLA timers, outbox). Prints a markdown table (docs/performance.md).

DATABASE_URL defaults to the bench database (bench/env.py); point it elsewhere to keep the
incident bench's data apart, e.g. postgres://postgres@127.0.0.1:5432/sd_catreq_bench.
"""

import argparse
import random
from datetime import timedelta

from bench.inprocess import bench_person, measure, ok, print_table, start

WORDS = [
    "vpn",
    "printer",
    "mailbox",
    "password",
    "laptop",
    "wifi",
    "erp",
    "invoice",
    "screen",
    "slow",
    "crash",
    "login",
    "token",
    "calendar",
    "share",
    "drive",
    "backup",
    "restore",
    "licence",
    "install",
    "update",
    "certificate",
    "browser",
    "phone",
    "headset",
    "monitor",
    "docking",
    "keyboard",
    "scanner",
    "tunnel",
    "quota",
    "archive",
    "folder",
    "permission",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args(argv)
    start()
    world = _world()
    loaded = _load(world, args.requests, args.articles, reset=args.reset)
    rows = _measure(world, runs=args.runs)
    print_table(f"Data: {loaded['requests']:,} requests, {loaded['tasks']:,} tasks, "
                f"{loaded['articles']:,} published articles.", rows)  # fmt: skip


def _world():
    from types import SimpleNamespace

    from accounts.models import Organisation, SupportGroup
    from accounts.roles import Role, sync_role_groups
    from catalogue.models import ApprovalRule, RequestField, RequestItem, Service, TaskTemplate

    sync_role_groups()
    org, _ = Organisation.objects.get_or_create(
        code="bench-req", defaults={"name": "Bench requests"}
    )

    def person(email, name, role):
        return bench_person(email, name, role, organisation=org)

    boss = person("bench-boss@example.com", "Bench Boss", Role.END_USER)
    requester = person("bench-requester@example.com", "Bench Requester", Role.END_USER)
    requester.manager = boss
    requester.save(update_fields=["manager"])
    agent = person("bench-tech@example.com", "Bench Tech", Role.AGENT)
    groups = []
    for index in range(4):
        group, _ = SupportGroup.objects.get_or_create(name=f"Bench fulfilment {index}")
        groups.append(group)
    groups[0].members.add(agent)
    service, _ = Service.objects.get_or_create(name="Bench client service")
    item, _ = RequestItem.objects.get_or_create(
        service=service, name="Bench laptop", defaults={"approval_rule": ApprovalRule.MANAGER}
    )
    RequestField.objects.get_or_create(
        item=item, name="model", defaults={"label": "Model", "field_type": "choice",
                                           "choices": "14\n16", "required": True},
    )  # fmt: skip
    for order, group in enumerate(groups[:2]):
        TaskTemplate.objects.get_or_create(
            item=item, order=order, defaults={"title": f"Step {order}", "support_group": group}
        )
    return SimpleNamespace(
        boss=boss, requester=requester, agent=agent, groups=groups, item=item, service=service
    )


def _load(world, requests, articles, *, reset):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from catalogue.models import FulfilmentTask, RequestStatus, ServiceRequest, TaskStatus
    from knowledge.models import Article

    request_type = ContentType.objects.get_for_model(ServiceRequest)
    existing = ServiceRequest.objects.filter(item=world.item).count()
    if reset or existing < requests:
        FulfilmentTask.objects.filter(request__item=world.item).delete()
        ServiceRequest.objects.filter(item=world.item).delete()
        Article.objects.filter(title__startswith="Bench ").delete()
        rng = random.Random(6)
        start = timezone.now() - timedelta(days=400)
        statuses = [RequestStatus.CLOSED] * 8 + [RequestStatus.IN_FULFILMENT] * 2
        batch = 5000
        for offset in range(0, requests, batch):
            with transaction.atomic():
                rows = []
                for n in range(offset, min(offset + batch, requests)):
                    rows.append(ServiceRequest(
                        number=f"REQ9{n:07d}", title="Bench laptop", requester=world.requester,
                        support_group=world.groups[n % 4], item=world.item, service=world.service,
                        status=statuses[n % 10], answers={"model": {"label": "Model", "text": "14"}},
                        created_at=start + timedelta(seconds=n * 300),
                    ))  # fmt: skip
                created = ServiceRequest.objects.bulk_create(rows)
                tasks = []
                for record in created:
                    open_ = record.status == RequestStatus.IN_FULFILMENT
                    for step in range(2):
                        tasks.append(FulfilmentTask(
                            number=f"TSK9{record.number[4:]}{step}", title=f"Step {step}",
                            requester=world.requester, request=record, order=step,
                            parent_type=request_type, parent_id=record.pk,
                            parent_number=record.number,
                            support_group=world.groups[(record.pk + step) % 4],
                            status=(TaskStatus.OPEN if open_ and step == 0 else
                                    TaskStatus.WAITING if open_ else TaskStatus.DONE),
                            created_at=record.created_at,
                        ))  # fmt: skip
                FulfilmentTask.objects.bulk_create(tasks)
        Article.objects.bulk_create(
            Article(
                title="Bench " + " ".join(rng.sample(WORDS, 4)),
                body=" ".join(rng.choices(WORDS, k=120)),
                keywords=" ".join(rng.sample(WORDS, 3)),
                status="published" if rng.random() < 0.9 else "draft",
            )
            for _ in range(articles)
        )
        from knowledge.models import refresh_search_vectors

        refresh_search_vectors(Article.objects.filter(title__startswith="Bench "))
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE catalogue_servicerequest; ANALYZE catalogue_fulfilmenttask; "
                "ANALYZE knowledge_article"
            )
    return {
        "requests": ServiceRequest.objects.count(),
        "tasks": FulfilmentTask.objects.count(),
        "articles": Article.objects.filter(status="published").count(),
    }


def _measure(world, runs):
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from catalogue import services
    from knowledge.selectors import article_search

    settings.DEBUG = False
    agent, user = Client(), Client()
    agent.force_login(world.agent)
    user.force_login(world.requester)

    deep_cursor = {}

    def api_deep():
        if "url" not in deep_cursor:
            url = "/api/v1/tasks/?queue=all&page_size=50"
            for _ in range(20):  # 20 pages in: the keyset, not an OFFSET
                url = ok(agent.get(url)).json()["next"]
            deep_cursor["url"] = url
        ok(agent.get(deep_cursor["url"]))

    def order():
        with transaction.atomic():
            services.request_create(
                actor=world.requester, item=world.item,
                answers={"model": {"label": "Model", "text": "14", "value": "14"}},
            )  # fmt: skip
            transaction.set_rollback(True)

    cases = [
        ("Agent task queue page (my groups, first 50)", lambda: ok(agent.get("/catalogue/tasks/"))),
        ("Tasks API, first page (50)", lambda: ok(agent.get("/api/v1/tasks/?queue=open"))),
        ("Tasks API, page 21 by keyset (50)", api_deep),
        ("Portal: my requests and incidents (all)", lambda: ok(user.get("/portal/mine/?show=all"))),
        ("Portal: catalogue", lambda: ok(user.get("/portal/catalogue/"))),
        ("Deflection search (full text, 5 best)", lambda: article_search("vpn tunnel drops", user=world.requester)),
        ("Deflection suggestions fragment", lambda: ok(user.get("/portal/suggest/?title=printer+slow"))),
        ("Order an item with manager approval (service)", order),
    ]  # fmt: skip
    return measure(cases, runs)


if __name__ == "__main__":
    main()
