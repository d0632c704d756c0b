"""Event management over HTTP, against gunicorn: how many alerts a second the endpoint takes
(stored and deduplicated; the incident work is the workers'), and a storm of alerts from the
CIs behind one switch turning into one correlated incident with its child events.

    python -m bench.events                                   # both, on DATABASE_URL
    python -m bench.events --seconds 20 --clients 8 --batch 10
    python -m bench.events --only storm --hosts 500 --alerts 10000

The load comes from this process (one thread per client, keep-alive connections, a closed
loop) posting Alertmanager's webhook JSON with a source's token. The storm runs a real Celery
worker (`celery worker`, the bench's Redis broker; it answers a ping before the first post)
that processes the events as they arrive; the time is from the first post to the moment no
event is left pending. Then the storm's recovery: every alert resolved, timed the same way.
Write to a copy of the bench database (it creates CIs, events and incidents).
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from bench import env
from bench.report import percentile

TOKEN = "bench-events-token"  # noqa: S105 - the bench's own source


def _alert(host: str, name: str, starts: datetime, fingerprint: str) -> dict:
    return {
        "status": "firing",
        "labels": {"alertname": name, "instance": f"{host}:9100", "severity": "critical"},
        "annotations": {"summary": f"{name} on {host}"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }


def _payload(alerts: list[dict]) -> bytes:
    return json.dumps({"version": "4", "status": "firing", "receiver": "servicedesk",
                       "groupLabels": {}, "commonLabels": {}, "alerts": alerts}).encode()  # fmt: skip


def _setup(hosts: int):
    """The bench source, a support group, a switch and `hosts` CIs that depend on it."""
    from accounts.models import SupportGroup
    from cmdb.models import CIClass, ConfigurationItem, Relationship
    from events.models import AlertSource

    source, _ = AlertSource.objects.get_or_create(
        name="bench-am", defaults={"kind": "alertmanager"}
    )
    source.set_token(TOKEN)
    source.save()
    group, _ = SupportGroup.objects.get_or_create(name="Bench network")
    cls = CIClass.objects.get(code="network_device")
    names = ["bench-core-sw", *(f"bench-host-{i:04d}" for i in range(hosts))]
    existing = set(ConfigurationItem.objects.filter(name__in=names).values_list("name", flat=True))
    ConfigurationItem.objects.bulk_create([
        ConfigurationItem(name=n, ci_class=cls, support_group=group) for n in names
        if n not in existing
    ])  # fmt: skip
    items = dict(ConfigurationItem.objects.filter(name__in=names).values_list("name", "pk"))
    switch = items["bench-core-sw"]
    Relationship.objects.bulk_create([
        Relationship(source_id=items[n], target_id=switch, type="depends_on") for n in names[1:]
    ], ignore_conflicts=True)  # fmt: skip
    return source, names


class Client:
    def __init__(self, port: int, source: str):
        self.port, self.path = port, f"/events/inbound/{source}/"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, body: bytes) -> tuple[int, float]:
        started = time.perf_counter()
        self.connection.request("POST", self.path, body=body, headers={
            "Host": "127.0.0.1", "Content-Type": "application/json",
            "Authorization": f"Bearer {TOKEN}",
        })  # fmt: skip
        answer = self.connection.getresponse()
        answer.read()
        return answer.status, (time.perf_counter() - started) * 1000


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


class CpuMeter:
    """CPU seconds spent by the server's processes: gunicorn's workers (the app) and the
    PostgreSQL backends connected to this database (the database), from /proc. Less
    sensitive to the shared machine's load than a rate: a busy neighbour slows the clock,
    not the work."""

    def __init__(self, server: subprocess.Popen):
        self.server = server
        self.start = self._sample()

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _pids(self) -> tuple[list[int], list[int]]:
        from django.db import connection

        try:
            with open(f"/proc/{self.server.pid}/task/{self.server.pid}/children") as children:
                app = [int(pid) for pid in children.read().split()]
        except OSError:
            app = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            database = [pid for (pid,) in cursor.fetchall()]
        return app, database

    def _sample(self) -> dict[str, dict[int, float]]:
        app, database = self._pids()
        return {"app": {pid: self._cpu(pid) for pid in app},
                "db": {pid: self._cpu(pid) for pid in database}}  # fmt: skip

    def spent(self) -> tuple[float, float]:
        """(app, database) CPU seconds since the start (or the last call)."""
        end = self._sample()
        spent = tuple(
            sum(cpu - self.start[side].get(pid, 0.0) for pid, cpu in end[side].items())
            for side in ("app", "db")
        )
        self.start = end
        return spent  # type: ignore[return-value]


def _run_clients(port: int, bodies_for, clients: int, seconds: float | None, per_client=None):
    """Each client posts its bodies in a closed loop; returns (latencies, errors, seconds)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds if seconds else None

    def run(index: int):
        client = Client(port, "bench-am")
        for body in bodies_for(index):
            if deadline and time.monotonic() > deadline:
                break
            status, ms = client.post(body)
            with lock:
                latencies.append(ms)
                if status != 202:
                    errors.append(str(status))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def rate(port: int, *, clients: int, batch: int, seconds: float, meter: CpuMeter,
         out=print) -> None:  # fmt: skip
    """New alerts (each its own fingerprint) and repeats of alerts already firing, with the
    CPU milliseconds per alert of the app and of the database, and the load average."""
    from events.models import Event

    run_id = int(time.time())
    for label, repeat in (("new alerts", False), ("repeats of firing alerts", True)):

        def bodies(index, repeat=repeat):
            n = 0
            while True:
                starts = datetime.now(UTC) - timedelta(seconds=n)
                alerts = [
                    _alert(f"rate-{index}-{(n * batch + k) % 50 if repeat else n * batch + k}",
                           "RateTest", starts,
                           f"rate-{run_id}-{index}-{(n * batch + k) % 50 if repeat else n * batch + k}")
                    for k in range(batch)
                ]  # fmt: skip
                n += 1
                yield _payload(alerts)

        load = _load()
        meter.spent()
        latencies, errors, took = _run_clients(port, bodies, clients, seconds)
        app, database = meter.spent()
        alerts = len(latencies) * batch
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        out(f"| {label} | {clients} | {batch} | {len(latencies)} | {alerts / took:.0f} | "
            f"{p50:.1f} | {p95:.1f} | {app * 1000 / alerts:.2f} | {database * 1000 / alerts:.2f} "
            f"| {load} → {_load()} | {len(errors)} |")  # fmt: skip
    # The rate test's events open no incident (no CI of theirs, no group): set them aside.
    Event.objects.filter(fingerprint__startswith=f"rate-{run_id}-").update(processing="done")


def storm(port: int, *, hosts: int, alerts: int, clients: int, batch: int, names,
          recovery: bool = True, out=print):  # fmt: skip
    from django.utils import timezone

    from events.choices import ACTIVE_STATES
    from events.models import Event
    from incidents.models import Incident

    run = int(time.time())
    # Each run on its own: an earlier storm still firing would be this one's root (rightly),
    # and leftovers of other runs would be processed with it.
    Event.objects.filter(fingerprint__startswith="storm-", state__in=ACTIVE_STATES).update(
        state="resolved", resolved_at=timezone.now(), processing="done")  # fmt: skip
    Event.objects.filter(processing="pending").update(processing="done")
    worker = _start_worker()
    try:
        _wait_for_worker(worker)
        incidents_before = Incident.objects.count()
        load = _load()
        t0 = datetime.now(UTC)
        switch = Client(port, "bench-am")
        started = time.perf_counter()
        switch.post(_payload([_alert("bench-core-sw", "SwitchDown", t0, f"storm-{run}-sw")]))
        names_per_host = max(1, alerts // hosts // 5)  # 5 repeats of each alert name
        work = [
            _alert(names[1 + h], f"Storm{k}", t0 + timedelta(seconds=r), f"storm-{run}-{h}-{k}")
            for r in range(5) for h in range(hosts) for k in range(names_per_host)
        ][:alerts]  # fmt: skip
        chunks = [work[i : i + batch] for i in range(0, len(work), batch)]

        def bodies(index):
            for chunk in chunks[index::clients]:
                yield _payload(chunk)

        latencies, errors, took = _run_clients(port, bodies, clients, None)
        posted = time.perf_counter() - started
        storm_events = Event.objects.filter(fingerprint__startswith=f"storm-{run}-")
        while storm_events.filter(processing="pending").exists():
            time.sleep(0.1)
            if time.perf_counter() - started > 300:
                break
        done = time.perf_counter() - started
        root = storm_events.get(fingerprint=f"storm-{run}-sw")
        children = storm_events.filter(parent=root).count()
        made = Incident.objects.count() - incidents_before
        counted = sum(storm_events.values_list("count", flat=True))
        out(f"| {len(work) + 1} alerts, {hosts} CIs behind a switch | {posted:.1f} s | "
            f"{done:.1f} s | {made} | {children} | {counted} | {load} → {_load()} | "
            f"{len(errors)} |")  # fmt: skip
        if recovery:
            _recovery(port, root=root, events=storm_events, t0=t0, clients=clients,
                      batch=batch, out=out)  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _recovery(port: int, *, root, events, t0: datetime, clients: int, batch: int, out=print):
    """The storm ends: every alert's resolved notification (the switch's last), timed from the
    first post until no event is pending; the root's incident is resolved as recovered."""
    from incidents.models import Incident

    ended = t0 + timedelta(minutes=5)
    resolved = [
        {**_alert(host, name, t0, fingerprint), "status": "resolved",
         "endsAt": ended.isoformat().replace("+00:00", "Z")}
        for host, name, fingerprint in events.exclude(pk=root.pk)
        .order_by("pk").values_list("host", "service_name", "fingerprint")
    ]  # fmt: skip
    resolved.append({**_alert(root.host, root.service_name, t0, root.fingerprint),
                     "status": "resolved", "endsAt": ended.isoformat().replace("+00:00", "Z")})  # fmt: skip
    chunks = [resolved[i : i + batch] for i in range(0, len(resolved) - 1, batch)]
    load = _load()
    started = time.perf_counter()

    def bodies(index):
        for chunk in chunks[index::clients]:
            yield _payload([alert for alert in chunk if alert["fingerprint"] != root.fingerprint])

    _latencies, errors, _took = _run_clients(port, bodies, clients, None)
    Client(port, "bench-am").post(_payload(resolved[-1:]))
    posted = time.perf_counter() - started
    while events.filter(processing="pending").exists():
        time.sleep(0.1)
        if time.perf_counter() - started > 300:
            break
    done = time.perf_counter() - started
    status = Incident.objects.get(pk=root.incident_id).status
    active = events.exclude(state="resolved").count()
    out(f"| the recovery: {len(resolved)} resolved alerts | {posted:.1f} s | {done:.1f} s | "
        f"root incident {status} | {active} events still active | | {load} → {_load()} | "
        f"{len(errors)} |")  # fmt: skip


def _wait_for_worker(worker: subprocess.Popen, seconds: float = 300) -> None:
    """Until the worker answers a ping: the storm is timed against a running worker, not one
    still importing Django (half a minute on a loaded machine)."""
    from servicedesk.celery import app

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError(f"the worker did not answer within {seconds:.0f} s")


def _start_worker() -> subprocess.Popen:
    from bench.env import ROOT

    log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "--concurrency", "2",
         "--loglevel", "warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log,
    )  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="rate or storm")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=10, help="alerts per request (a group)")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--no-single", dest="batch_one", action="store_false",
                        help="skip the rows of one alert per request")  # fmt: skip
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--no-recovery", dest="recovery", action="store_false",
                        help="leave the storm firing (no resolved notifications)")  # fmt: skip
    parser.add_argument("--alerts", type=int, default=10_000)
    args = parser.parse_args(argv)
    env.configure()
    from django.core.management import call_command

    from bench.env import require_postgresql
    from bench.over_http import start_gunicorn
    from servicedesk.celery import app

    require_postgresql()
    call_command("collectstatic", interactive=False, verbosity=0)
    _source, names = _setup(args.hosts)
    app.control.purge()
    server, port, log = start_gunicorn(args.workers)
    try:
        if args.only in ("", "rate"):
            print("| alerts | clients | alerts per request | requests | alerts/s | p50 ms | "
                  "p95 ms | app CPU ms/alert | database CPU ms/alert | load average | errors |"
                  "\n|---|---|---|---|---|---|---|---|---|---|---|")  # fmt: skip
            meter = CpuMeter(server)
            for batch in sorted({1, args.batch}) if args.batch_one else (args.batch,):
                rate(port, clients=args.clients, batch=batch, seconds=args.seconds,
                     meter=meter)  # fmt: skip
        if args.only in ("", "storm"):
            print("\n| storm | all posted | all processed | incidents | child events | "
                  "alerts counted | load average | errors |\n|---|---|---|---|---|---|---|---|")  # fmt: skip
            storm(port, hosts=args.hosts, alerts=args.alerts, clients=args.clients,
                  batch=50, names=names, recovery=args.recovery)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
        app.control.purge()
    print(f"\n(gunicorn log: {log})")


if __name__ == "__main__":
    main()
