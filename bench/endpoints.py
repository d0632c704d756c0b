"""Server time of the main pages and API endpoints, and API create throughput.

In process: Django's test Client against the real database (no test database, no transaction
rollback), logged in with `force_login` as the demo agent. Each request is timed around
`client.get()` (URL routing, middleware, view, queries, template or serializer: everything but
the network) with `CaptureQueriesContext` counting its queries. Warm-ups first, then N timed
requests; p50/p95/max over those.

Create throughput: a real server (`gunicorn servicedesk.wsgi -w 4`) and 8 concurrent clients
posting with token auth, as an integration would; incidents per second over the whole run.

An endpoint that is not there yet (its URL does not resolve, or the server answers 404 for a
path it does not know) is reported as "not available" instead of failing the run.
"""

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import cpu
from bench.report import Measurement

AGENT_EMAIL = "agent@example.com"
BIG_TABLES = ("incidents_incident", "servicedesk_comment", "servicedesk_auditevent")

# Targets from docs/performance.md: (p95 ms, max queries)
TARGET_QUEUE = "p95 < 100 ms"
TARGET_RECORD = "p95 < 80 ms, <= 15 queries"
TARGET_LIST = "p95 < 100 ms"
TARGET_CREATE = ">= 200/s with 8 clients"


@dataclass
class Context:
    """What the requests are built from: the logged-in agent and some real ids."""

    agent: object
    size: int
    network_group_id: int | None
    numbers: list[str]
    subcategories: list[tuple[int, int]]  # (category id, subcategory id)
    requester_ids: list[int]
    rng: random.Random = field(default_factory=lambda: random.Random(42))

    def create_payload(self) -> dict:
        category, subcategory = self.rng.choice(self.subcategories)
        return {
            "title": f"Benchmark: VPN drops every few minutes ({self.rng.randrange(10**6)})",
            "description": "<p>Logged by the benchmark harness.</p>",
            "requester": self.rng.choice(self.requester_ids),
            "impact": self.rng.choice(["low", "medium", "medium", "high"]),
            "urgency": self.rng.choice(["low", "medium", "high"]),
            "category": category,
            "subcategory": subcategory,
            "channel": "phone",
        }


def build_context(size: int, samples: int) -> Context:
    from accounts.models import SupportGroup, User
    from incidents.models import Category

    agent = User.objects.filter(email=AGENT_EMAIL).first()
    if agent is None:
        raise SystemExit(
            f"No {AGENT_EMAIL} in this database: run `python -m bench.generate` (or load_demo)."
        )
    group = SupportGroup.objects.filter(name="Network").first()
    rng = random.Random(1234)
    numbers = _random_numbers(samples, rng)
    subcategories = list(
        Category.objects.filter(parent__isnull=False, is_active=True).values_list("parent_id", "pk")
    )
    requesters = list(
        User.objects.filter(is_active=True, email__startswith="user")
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    ) or [agent.pk]
    return Context(
        agent=agent,
        size=size,
        network_group_id=group.pk if group else None,
        numbers=numbers,
        subcategories=subcategories,
        requester_ids=requesters,
    )


def _random_numbers(count: int, rng: random.Random) -> list[str]:
    """Numbers of random incidents: random ids in [min, max], each the next existing row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM incidents_incident")
        low, high = cursor.fetchone()
        if low is None:
            return []
        numbers = []
        for _ in range(count):
            cursor.execute(
                "SELECT number FROM incidents_incident WHERE id >= %s ORDER BY id LIMIT 1",
                [rng.randint(low, high)],
            )
            numbers.append(cursor.fetchone()[0])
    return numbers


def _host() -> str:
    from django.conf import settings

    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return "localhost"
        if not host.startswith(".") and not host.startswith("["):
            return host
    return "localhost"


def _url(name: str, fallback: str, *args) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback.format(*args)


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


def _problem(response, path: str, expected: int) -> str:
    """Why a response cannot be measured, or "" when it is fine."""
    if response.status_code == expected:
        return ""
    if response.status_code == 404 and not _resolves(path):
        return "not available"
    if response.status_code in (301, 302):
        return f"HTTP {response.status_code} to {response.get('Location', '?')}"
    body = response.content[:160].decode(errors="replace").replace("|", "/").replace("\n", " ")
    return f"HTTP {response.status_code}: {body}"


def measure(what, send, *, size, requests, warmup, expected=200, target="") -> Measurement:
    """Time `send(i)` (one request) after `warmup` untimed ones; count its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Measurement(what=what, size=size, target=target)
    response, path = send(0)
    problem = _problem(response, path, expected)
    if problem:
        result.note = problem
        return result
    for i in range(1, warmup):
        send(i)
    last_queries = []
    for i in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response, path = send(warmup + i)
            elapsed = time.perf_counter() - started
        problem = _problem(response, path, expected)
        if problem:
            result.note = f"{problem} (after {i} requests)"
            result.timings_ms.clear()
            return result
        result.timings_ms.append(elapsed * 1000)
        result.queries.append(len(captured.captured_queries))
        result.db_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        for query in captured.captured_queries:
            if not _explainable(query["sql"]):
                continue
            if float(query["time"]) * 1000 > result.slowest_sql_ms:
                result.slowest_sql_ms = float(query["time"]) * 1000
                result.slowest_sql = query["sql"]
        last_queries = captured.captured_queries
    result.plan_warnings = plan_warnings(last_queries)
    return result


def plan_warnings(queries) -> list[tuple[str, str]]:
    """(sql, plan) of the queries whose plan reads a big table sequentially."""
    from django.db import connection

    warnings = []
    seen = set()
    with connection.cursor() as cursor:
        for query in queries:
            sql = plain_select(query["sql"])
            if not _explainable(sql) or sql in seen:
                continue
            seen.add(sql)
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if any(f"Seq Scan on {table}" in plan for table in BIG_TABLES):
                warnings.append((sql, plan))
    return warnings


_CURSOR = re.compile(r'^\s*DECLARE\s+"[^"]+"\s+NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR\s+', re.I)


def plain_select(sql: str) -> str:
    """The SELECT itself, also out of a server-side cursor (`QuerySet.iterator()`)."""
    return _CURSOR.sub("", sql)


def _explainable(sql: str) -> bool:
    text = plain_select(sql).lstrip().upper()
    return text.startswith("SELECT") and "FOR UPDATE" not in text


def explain_analyze(sql: str) -> str:
    from django.db import connection, transaction

    if not _explainable(sql):
        return "(not a plain SELECT)"
    sql = plain_select(sql)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def run_in_process(ctx: Context, *, requests: int, warmup: int, only=None) -> list[Measurement]:
    from django.test import Client

    # A view that crashes is reported as "HTTP 500" in the table, not raised.
    client = Client(raise_request_exception=False, HTTP_HOST=_host())
    client.force_login(ctx.agent)
    queue = _url("incidents:queue", "/incidents/")
    api_list = "/api/v1/incidents/"
    group = ctx.network_group_id or ""
    numbers = ctx.numbers or ["INC0000001"]

    def get(path_for):
        def send(i):
            path = path_for(i)
            return client.get(path), path

        return send

    def post_create(i):
        response = client.post(api_list, ctx.create_payload(), content_type="application/json")
        return response, api_list

    next_page = _next_link(client, api_list)
    cases = [
        ("queue", "Agent queue: default (open, priority then oldest)", get(lambda i: queue),
         200, TARGET_QUEUE),
        ("queue", "Agent queue: all, closed, Network group, P2",
         get(lambda i: f"{queue}?queue=all&status=closed&support_group={group}&priority=2"),
         200, TARGET_QUEUE),
        ("queue", "Agent queue: search \"printer\" in all",
         get(lambda i: f"{queue}?queue=all&q=printer"), 200, TARGET_QUEUE),
        ("api", "REST list: first page", get(lambda i: api_list), 200, TARGET_LIST),
        ("api", "REST list: second page (cursor)", get(lambda i: next_page or api_list + "?cursor=-"),
         200, TARGET_LIST),
        ("api", "REST list: in_progress, P1",
         get(lambda i: f"{api_list}?status=in_progress&priority=1"), 200, TARGET_LIST),
        ("api", "REST list: search \"printer\"", get(lambda i: f"{api_list}?q=printer"),
         200, TARGET_LIST),
        ("record", "Record page (random incidents)",
         get(lambda i: _url("incidents:detail", "/incidents/{}/", numbers[i % len(numbers)])),
         200, TARGET_RECORD),
        ("api", "REST record (random incidents)",
         get(lambda i: f"{api_list}{numbers[i % len(numbers)]}/"), 200, ""),
        ("create", "Create via API (1 client, in process)", post_create, 201, ""),
        ("workspace", "Agent workspace home (control)",
         get(lambda i: _url("workspace", "/workspace/")), 200, ""),
    ]  # fmt: skip
    results = []
    for key, what, send, expected, target in cases:
        if only and key not in only:
            continue
        result = measure(
            what,
            send,
            size=ctx.size,
            requests=requests,
            warmup=warmup,
            expected=expected,
            target=target,
        )
        judge(result)
        results.append(result)
    return results


def _next_link(client, path: str) -> str | None:
    """The path of the list's `next` link (cursor pagination), or None."""
    from urllib.parse import urlsplit

    response = client.get(path)
    if response.status_code != 200:
        return None
    try:
        link = response.json().get("next")
    except (ValueError, AttributeError):
        return None
    if not link:
        return None
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def judge(result: Measurement) -> None:
    if not result.ok or not result.target:
        return
    if result.target == TARGET_RECORD:
        result.met = result.p95 < 80 and max(result.queries) <= 15
    elif result.target in (TARGET_QUEUE, TARGET_LIST):
        result.met = result.p95 < 100


# --- Create throughput against gunicorn ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port, method, path, body=None, token=None, timeout=30.0):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Host": "127.0.0.1", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Token {token}"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait_until_up(port: int, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            _request(port, "GET", "/health/", timeout=5)
        except OSError:
            time.sleep(0.3)
        else:
            return
    raise RuntimeError("gunicorn did not answer within three minutes")


def _token(port: int, ctx: Context) -> str:
    from accounts.tokens import token_create_for_sign_in
    from servicedesk.management.commands.load_demo import DEMO_PASSWORD

    status, body = _request(
        port, "POST", "/api/v1/auth/token/", {"email": AGENT_EMAIL, "password": DEMO_PASSWORD}
    )
    if status == 200:
        return json.loads(body)["token"]
    # No token endpoint (or throttled): the kind of token the endpoint would hand out.
    return token_create_for_sign_in(user=ctx.agent)


def run_create_throughput(
    ctx: Context,
    *,
    clients: int = 8,
    workers: int = 4,
    per_client: int = 100,
    warmup: int = 5,
    worker_class: str = "sync",
    threads: int = 1,
) -> Measurement:
    from bench.env import ROOT

    kind = f" {worker_class} x{threads}" if worker_class != "sync" else ""
    what = f"Create via API (gunicorn -w {workers}{kind}, {clients} clients)"
    result = Measurement(what=what, size=ctx.size, target=TARGET_CREATE)
    port = _free_port()
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept when gunicorn fails, to read
        prefix="bench-gunicorn-", suffix=".log", delete=False
    )
    command = [
        sys.executable, "-m", "gunicorn", "servicedesk.wsgi", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60",
        "--worker-class", worker_class, "--threads", str(threads),
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log
    )
    try:
        _wait_until_up(port, process)
        token = _token(port, ctx)
        status, body = _request(port, "POST", "/api/v1/incidents/", ctx.create_payload(), token)
        if status != 201:
            result.note = (
                "not available"
                if status in (404, 405)
                else f"HTTP {status}: {body[:160].decode(errors='replace')}"
            )
            return result
        payloads = [
            [ctx.create_payload() for _ in range(warmup + per_client)] for _ in range(clients)
        ]
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(clients + 1)

        def client(index: int) -> None:
            mine, failed = [], []
            for payload in payloads[index][:warmup]:
                _request(port, "POST", "/api/v1/incidents/", payload, token)
            start.wait()
            for payload in payloads[index][warmup:]:
                began = time.perf_counter()
                status, body = _request(port, "POST", "/api/v1/incidents/", payload, token)
                if status == 201:
                    mine.append((time.perf_counter() - began) * 1000)
                else:
                    failed.append(f"{status} {body[:100]!r}")
            with lock:
                latencies.extend(mine)
                failures.extend(failed)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        start.wait()
        # The warm-ups have opened every worker's connection: what serves the run is known.
        serving = [process.pid, *cpu.children(process.pid)]
        before = cpu.snapshot([*serving, *cpu.database_backends()])
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        after = cpu.snapshot([*serving, *cpu.children(process.pid), *cpu.database_backends()])
        result.timings_ms = latencies
        rate = len(latencies) / elapsed
        per_create = cpu.spent(before, after) * 1000 / max(len(latencies), 1)
        result.throughput = (
            f"{rate:,.0f} incidents/s, {per_create:.1f} ms CPU each (gunicorn + PostgreSQL), "
            f"load {os.getloadavg()[0]:.1f}"
        )
        result.met = rate >= 200
        if failures:
            result.throughput += f" ({len(failures)} failed: {failures[0]})"
        result.note = "client-side latency"
        return result
    except RuntimeError as error:
        result.note = f"{error}; see {log.name}"
        return result
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if result.ok:
            Path(log.name).unlink(missing_ok=True)


def forget_queued_emails() -> None:
    """The creates queued e-mail tasks on the bench broker (Redis db 13): drop them."""
    from django.conf import settings

    from bench.env import DEFAULT_REDIS_URL

    if settings.CELERY_BROKER_URL != DEFAULT_REDIS_URL:
        return
    try:
        import redis

        redis.Redis.from_url(DEFAULT_REDIS_URL).delete("celery")
    except Exception as error:  # noqa: BLE001 - cleaning up is best effort
        print(f"(could not empty the bench broker queue: {error})", file=sys.stderr)
