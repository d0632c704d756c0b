"""What users see: the pages and the API over HTTP, against gunicorn, at 1 and 8 clients, and a
mixed scenario of agents clicking once a second.

    python -m bench.over_http                                  # every row, then 50 agents for 60 s
    python -m bench.over_http --only queue,record --seconds 10
    python -m bench.over_http --agents 50 --scenario-seconds 60 --only none   # the scenario alone

The server is `gunicorn servicedesk.wsgi` as docker-compose.yml runs it (sync workers; --workers
sets how many) with the bench's production settings (DEBUG off, the static manifest,
CONN_MAX_AGE). The load comes from this process: one thread per client, each with its own
keep-alive connection, sending the next request as soon as the last answer is read (a closed
loop), so requests per second at 8 clients is the server's capacity on this machine. Pages are
fetched with a session cookie (the agent signed in), the API with a token, as a browser and an
integration do. Latency is measured at the client: network stack, gunicorn, Django, database. Beside it, the
server's CPU per request (gunicorn's processes and their PostgreSQL backends, from /proc: a
figure that holds on a shared machine) and the load average when the row ended.
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from bench import cpu, env
from bench.report import percentile

ROW_KEYS = ("queue", "record", "api", "create", "dashboards", "workspace")


@dataclass
class Row:
    key: str
    what: str
    target: str
    request: object  # (rng) -> (method, path, body or None, auth: "session" | "token")
    expected: int = 200


@dataclass
class Result:
    what: str
    clients: int
    target: str = ""
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sent: int = 0  # every request, the warm-ups included (what the server CPU was spent on)
    server_cpu_s: float = 0.0  # gunicorn's processes and their PostgreSQL backends
    load: float = 0.0  # the 1-minute load average when it ended

    def line(self) -> str:
        count = len(self.latencies_ms)
        rate = count / self.seconds if self.seconds else 0.0
        p50, p95, p99 = (percentile(self.latencies_ms, share) for share in (0.5, 0.95, 0.99))
        errors = f"{len(self.errors)}" + (f" ({self.errors[0]})" if self.errors else "")
        measured = self.sent and self.server_cpu_s
        cpu_ms = f"{self.server_cpu_s * 1000 / self.sent:.1f}" if measured else "-"
        load = f"{self.load:.1f}" if measured else "-"
        return (
            f"| {self.what} | {self.clients} | {count} | {p50:.1f} | {p95:.1f} | {p99:.1f} | "
            f"{rate:.1f} | {cpu_ms} | {load} | {errors} | {self.target} |"
        )


class Client:
    """One keep-alive HTTP connection with the agent's session cookie and API token."""

    def __init__(self, port: int, cookie: str, token: str, manager_cookie: str = ""):
        self.port, self.cookie, self.token = port, cookie, token
        self.manager_cookie = manager_cookie
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body=None, auth: str = "session") -> tuple[int, float]:
        headers = {"Host": "127.0.0.1"}
        data = None
        if auth == "token":
            headers["Authorization"] = f"Token {self.token}"
            headers["Accept"] = "application/json"
        else:
            headers["Cookie"] = self.manager_cookie if auth == "manager" else self.cookie
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        return response.status, (time.perf_counter() - began) * 1000


def _rows(ctx) -> list[Row]:
    """What is measured, in order. Dashboards are fetched as a desk manager ("manager" auth)."""
    from bench.endpoints import _url

    queue = _url("incidents:queue", "/incidents/")
    group = ctx.network_group_id or ""
    numbers = ctx.numbers or ["INC0000001"]
    dashboards = _url("dashboards:home", "/dashboards/")
    kpis = _url("dashboards:kpis", "/dashboards/kpis/")

    def page(path_for, auth="session"):
        return lambda rng: ("GET", path_for(rng), None, auth)

    return [
        Row("queue", "Agent queue: default", "p95 < 60 ms", page(lambda rng: queue)),
        Row("queue", "Agent queue: one group, open", "p95 < 40 ms",
            page(lambda rng: f"{queue}?support_group={group}")),
        Row("queue", "Agent queue: breached", "p95 < 60 ms",
            page(lambda rng: f"{queue}?queue=breached")),
        Row("record", "Record page with timeline", "p95 < 50 ms",
            page(lambda rng: f"{queue}{rng.choice(numbers)}/")),
        Row("api", "REST list: first page", "p95 < 50 ms",
            lambda rng: ("GET", "/api/v1/incidents/", None, "token")),
        Row("create", "Create through the API", ">= 200/s at 8 clients",
            lambda rng: ("POST", "/api/v1/incidents/", ctx.create_payload(), "token"), 201),
        Row("dashboards", "SLA dashboard", "p95 < 250 ms", page(lambda rng: dashboards, "manager")),
        Row("dashboards", "KPI page", "p95 < 250 ms", page(lambda rng: kpis, "manager")),
        Row("workspace", "Workspace home", "p95 < 60 ms", page(lambda rng: "/workspace/")),
    ]  # fmt: skip


def closed_loop(
    row: Row, *, port, cookie, token, manager_cookie, clients: int, seconds: float
) -> Result:
    """`clients` threads sending `row`'s request back to back for `seconds`."""
    result = Result(what=row.what, clients=clients, target=row.target)
    lock = threading.Lock()
    stop_at = [0.0]
    # The clock starts when every client has warmed up (the barrier's action runs once).
    start = threading.Barrier(
        clients + 1, action=lambda: stop_at.__setitem__(0, time.perf_counter() + seconds)
    )

    def run(index: int) -> None:
        rng = random.Random(index)
        client = Client(port, cookie, token, manager_cookie)
        for _ in range(3):  # warm the connection and the worker
            method, path, body, auth = row.request(rng)
            _safe(client, method, path, body, auth)
        start.wait()
        mine, failed = [], []
        while time.perf_counter() < stop_at[0]:
            method, path, body, auth = row.request(rng)
            status, elapsed = _safe(client, method, path, body, auth)
            if status == row.expected:
                mine.append(elapsed)
            else:
                failed.append(f"HTTP {status} {path}")
        with lock:
            result.latencies_ms.extend(mine)
            result.errors.extend(failed)
            result.sent += 3 + len(mine) + len(failed)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


def _safe(client: Client, method, path, body, auth) -> tuple[int, float]:
    try:
        return client.send(method, path, body, auth)
    except (OSError, http.client.HTTPException):
        return 0, 0.0  # reported as "HTTP 0": no answer


# The mixed scenario: what an agent's clicks are made of (weights).
ACTIONS = (("queue", 30), ("record", 30), ("search", 10), ("reply", 10), ("create", 10),
           ("workspace", 5), ("dashboard", 5))  # fmt: skip


def scenario(
    ctx, *, port, sessions, tokens, manager_cookie: str, agents: int, seconds: float
) -> dict[str, Result]:
    """`agents` people, each clicking once a second (at a random phase) for `seconds`."""
    from bench.endpoints import _url

    queue = _url("incidents:queue", "/incidents/")
    numbers = ctx.numbers or ["INC0000001"]
    open_numbers = _open_numbers(500) or numbers  # replies go to incidents still open
    results = {name: Result(what=name, clients=agents) for name, _weight in ACTIONS}
    results["all"] = Result(what="all clicks", clients=agents, target="p95 < 300 ms, 0 errors")
    lock = threading.Lock()
    names = [name for name, _ in ACTIONS]
    weights = [weight for _, weight in ACTIONS]
    began = time.perf_counter()
    end = began + seconds

    def request(name: str, rng) -> tuple[str, str, object, str, int]:
        number = rng.choice(open_numbers if name == "reply" else numbers)
        if name == "queue":
            return "GET", queue, None, "session", 200
        if name == "record":
            return "GET", f"{queue}{number}/", None, "session", 200
        if name == "search":
            word = rng.choice(("printer", "vpn", "mail", "laptop"))
            return "GET", f"{queue}?queue=all&q={word}", None, "session", 200
        if name == "reply":
            body = {"body": "Looking into it now.", "visibility": "internal"}
            return "POST", f"/api/v1/incidents/{number}/comments/", body, "token", 201
        if name == "create":
            return "POST", "/api/v1/incidents/", ctx.create_payload(), "token", 201
        if name == "workspace":
            return "GET", "/workspace/", None, "session", 200
        return "GET", _url("dashboards:home", "/dashboards/"), None, "session", 200

    def agent(index: int) -> None:
        rng = random.Random(1000 + index)
        client = Client(port, sessions[index % len(sessions)], tokens[index % len(tokens)])
        manager = Client(port, manager_cookie, "")
        tick = began + rng.random()
        while tick < end:
            time.sleep(max(0.0, tick - time.perf_counter()))
            name = rng.choices(names, weights)[0]
            method, path, body, auth, expected = request(name, rng)
            # The dashboards are the managers': the same person checks them between clicks.
            sender = manager if name == "dashboard" else client
            status, elapsed = _safe(sender, method, path, body, auth)
            with lock:
                for result in (results[name], results["all"]):
                    result.sent += 1
                    if status == expected:
                        result.latencies_ms.append(elapsed)
                    else:
                        result.errors.append(f"HTTP {status} {method} {path}")
            tick += 1.0

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(agents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results.values():
        result.seconds = time.perf_counter() - began
    return results


def server_pids(process: subprocess.Popen) -> list[int]:
    """gunicorn's master and workers, and the PostgreSQL backends serving them."""
    return [process.pid, *cpu.children(process.pid), *cpu.database_backends()]


def with_server_cpu(process: subprocess.Popen, measure):
    """`measure()`'s Result(s), given the server CPU spent while it ran. The scenario's CPU
    goes to its "all clicks" row."""
    before = cpu.snapshot(server_pids(process))
    outcome = measure()
    spent = cpu.spent(before, cpu.snapshot(server_pids(process)))
    result = outcome["all"] if isinstance(outcome, dict) else outcome
    result.server_cpu_s, result.load = spent, os.getloadavg()[0]
    return outcome


def _open_numbers(count: int) -> list[str]:
    from incidents.choices import OPEN_STATUSES
    from incidents.models import Incident

    return list(
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .order_by("-pk")
        .values_list("number", flat=True)[:count]
    )


def _manager():
    from accounts.models import User
    from accounts.roles import Role

    return (
        User.objects.filter(is_active=True, groups__name=Role.DESK_MANAGER).order_by("pk").first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )


def _agents(count: int):
    from accounts.models import User
    from accounts.roles import Role

    people = list(
        User.objects.filter(is_active=True, groups__name=Role.AGENT).order_by("pk")[:count]
    )
    return people or [User.objects.get(email="agent@example.com")]


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client as DjangoClient

    client = DjangoClient()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _api_token(user) -> str:
    from accounts.tokens import token_create_for_sign_in

    return token_create_for_sign_in(user=user)


def start_gunicorn(workers: int) -> tuple[subprocess.Popen, int, str]:
    from bench.endpoints import _free_port, _wait_until_up
    from bench.env import ROOT

    port = _free_port()
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept when gunicorn fails, to read
        prefix="bench-http-", suffix=".log", delete=False
    )
    command = [
        sys.executable, "-m", "gunicorn", "servicedesk.wsgi", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log
    )
    try:
        _wait_until_up(port, process)
    except RuntimeError:
        process.terminate()  # no server left behind when it never answered
        process.wait(timeout=60)
        raise
    return process, port, log.name


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help=f"rows: {','.join(ROW_KEYS)}, or none")
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--seconds", type=float, default=15.0, help="per row and client count")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--scenario-seconds", type=float, default=60.0, help="0: no scenario")
    args = parser.parse_args(argv)
    env.configure()
    from django.core.management import call_command

    from bench.endpoints import build_context
    from bench.env import estimated_rows, require_postgresql

    require_postgresql()
    call_command("collectstatic", interactive=False, verbosity=0)
    size = estimated_rows("incidents_incident")
    ctx = build_context(size, samples=500)
    people = _agents(args.agents)
    sessions = [_session_cookie(person) for person in people]
    tokens = [_api_token(person) for person in people]
    cookie, token = _session_cookie(ctx.agent), _api_token(ctx.agent)
    manager_cookie = _session_cookie(_manager())
    only = set(args.only.split(",")) if args.only else set(ROW_KEYS)
    load = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    process, port, log = start_gunicorn(args.workers)
    try:
        print(f"\n### Over HTTP: {size:,} incidents, gunicorn {args.workers} sync workers")
        print(
            f"\nLoad average at the start: {load}. {args.seconds:.0f} s per row and client count.\n"
        )
        print(
            "| What | Clients | Requests | p50 ms | p95 ms | p99 ms | Requests/s | Server CPU ms/request "
            "| Load | Errors | Target |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for row in _rows(ctx):
            if row.key not in only:
                continue
            for clients in (int(n) for n in args.clients.split(",")):
                result = with_server_cpu(process, lambda row=row, clients=clients: closed_loop(
                    row, port=port, cookie=cookie, token=token, manager_cookie=manager_cookie,
                    clients=clients, seconds=args.seconds,
                ))  # fmt: skip
                print(result.line(), flush=True)
        if args.scenario_seconds > 0:
            load = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
            results = with_server_cpu(process, lambda: scenario(
                ctx, port=port, sessions=sessions, tokens=tokens,
                manager_cookie=manager_cookie, agents=args.agents,
                seconds=args.scenario_seconds,
            ))  # fmt: skip
            print(
                f"\n{args.agents} agents ({len(people)} distinct), each clicking once a second for "
                f"{args.scenario_seconds:.0f} s; load average at the start {load}.\n"
            )
            print(
                "| Click | Agents | Requests | p50 ms | p95 ms | p99 ms | Requests/s "
                "| Server CPU ms/request | Load | Errors | Target |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
            for result in results.values():
                print(result.line())
    finally:
        process.terminate()
        process.wait(timeout=30)
        print(f"\n(gunicorn's log: {log})")


if __name__ == "__main__":
    main()
