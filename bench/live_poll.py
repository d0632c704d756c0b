"""`python -m bench.live_poll`: what the live updates cost at the bench's size (1M incidents).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk_bench python -m bench.live_poll

Every open record page polls its state every 5 s and every open queue its stamp every 10 s, so
these requests must be cheap. Measured in process like `python -m bench` (Django's test client,
signed in as the demo agent, 5 warm-ups then 50 timed requests, a different random incident
each time), on the generated data; nothing is written but the session.

- Record poll, unchanged: `GET /live/records/<number>/` with `If-None-Match` of its state: 304.
- Record poll, changed: the same without the ETag, the banner with the timeline since (200).
- Queue poll, unchanged: `GET /live/queues/incident/?support_group=<Network>` with its ETag: 304.
- Problem queue poll, unchanged: `GET /live/queues/problem/` with its ETag: 304; every other
  queue's poll is the same view with another record type.
- Problem queue table: the htmx refresh a changed stamp triggers (`/problems/?queue=open`).
- Agent workspace home: a small page, as the control row of `python -m bench`.
"""

import argparse


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)

    from bench.env import configure

    configure()
    from django.core.management import call_command
    from django.test import Client

    from bench.endpoints import _host, build_context, measure
    from bench.env import describe_database, estimated_rows
    from bench.report import markdown_table
    from live import selectors

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: the manifest
    size = estimated_rows("incidents_incident")
    samples = args.warmup + args.requests
    ctx = build_context(size, samples=samples)
    client = Client(raise_request_exception=False, HTTP_HOST=_host())
    client.force_login(ctx.agent)
    numbers = ctx.numbers or ["INC0000001"]
    etags = {number: selectors.record_etag(ctx.agent, number) for number in numbers}
    group = ctx.network_group_id or ""
    queue_url = f"/live/queues/incident/?support_group={group}"
    queue_etag = client.get(queue_url)["ETag"]

    def record_unchanged(i):
        number = numbers[i % len(numbers)]
        path = f"/live/records/{number}/"
        return client.get(path, HTTP_IF_NONE_MATCH=etags[number]), path

    def record_changed(i):
        number = numbers[i % len(numbers)]
        path = f"/live/records/{number}/?since=2000-01-01T00:00:00%2B00:00"
        return client.get(path), path

    def queue_unchanged(i):
        return client.get(queue_url, HTTP_IF_NONE_MATCH=queue_etag), queue_url

    problem_poll = "/live/queues/problem/"
    problem_etag = client.get(problem_poll)["ETag"]

    def problem_queue_unchanged(i):
        return client.get(problem_poll, HTTP_IF_NONE_MATCH=problem_etag), problem_poll

    def problem_table(i):  # what a changed stamp makes the page fetch (htmx, the table alone)
        return client.get("/problems/?queue=open", HTTP_HX_REQUEST="true"), "/problems/?queue=open"

    def workspace(i):
        return client.get("/workspace/"), "/workspace/"

    common = {"size": size, "requests": args.requests, "warmup": args.warmup}
    rows = [
        measure("Record poll, unchanged (304)", record_unchanged, expected=304,
                target="p95 < 25 ms", **common),
        measure("Record poll, changed (banner)", record_changed, target="p95 < 80 ms", **common),
        measure("Queue poll, unchanged (304)", queue_unchanged, expected=304,
                target="p95 < 25 ms", **common),
        measure("Problem queue poll, unchanged (304)", problem_queue_unchanged, expected=304,
                target="p95 < 25 ms", **common),
        measure("Problem queue table (htmx refresh)", problem_table, **common),
        measure("Agent workspace home (control)", workspace, **common),
    ]  # fmt: skip
    print(f"Database: {describe_database()}\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
