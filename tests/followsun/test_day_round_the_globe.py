"""A full day of three desks (Tehran, Berlin, New York), the clock moved round the globe with
time-machine: new work goes to the desk open now, each desk hands over at the end of its day
exactly once, what does not follow the sun stays with its owner, and the SLA due times on the
customer's calendar never move."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from followsun import selectors, services
from followsun.models import Handover, HandoverItem
from followsun.tasks import hand_over_desks_task
from incidents import services as incidents
from problems import services as problems
from problems.models import Problem
from servicedesk.actors import system_actor
from servicedesk.models import Comment, Visibility
from sla.models import AgreementKind, SlaTimer

from .conftest import utc


def log(g, capture, when, *, group, impact="medium", urgency="medium", title="Mail is down"):
    with time_machine.travel(when, tick=False), capture(execute=True):
        incident = incidents.incident_create(
            actor=g.admin, title=title, impact=impact, urgency=urgency, support_group=group
        )
    incident.refresh_from_db()
    return incident


def sla_due_times(record) -> dict:
    timers = SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
        policy__kind=AgreementKind.SLA,
    )  # fmt: skip
    return {
        timer.metric: (timer.due_at, timer.started_at, timer.target_seconds, timer.pauses)
        for timer in timers
    }


def notes(record) -> list[str]:
    return list(
        Comment.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
            visibility=Visibility.INTERNAL,
        ).order_by("id").values_list("body", flat=True)
    )  # fmt: skip


def test_a_day_round_the_globe(globe, django_capture_on_commit_callbacks):
    g, capture = globe, django_capture_on_commit_callbacks
    tehran, berlin, new_york = g.groups["tehran"], g.groups["berlin"], g.groups["new_york"]

    # 05:00 UTC = 08:30 in Tehran: only Tehran is open.
    a = log(g, capture, utc(8, 5), group=tehran)
    assert (a.support_group, a.assignee) == (tehran, g.people["tehran"])
    # Routed to Berlin's queue while Berlin sleeps (07:00 there): Tehran takes it.
    e = log(g, capture, utc(8, 6), group=berlin)
    assert (e.support_group, e.assignee) == (tehran, g.people["tehran"])
    # What does not follow the sun: a group that is no desk, a priority the chain leaves out,
    # a record type the chain leaves out.
    b = log(g, capture, utc(8, 5), group=g.network)
    low = log(g, capture, utc(8, 5, 10), group=tehran, impact="low", urgency="low")
    assert low.priority not in g.chain.priorities
    with time_machine.travel(utc(8, 5, 20), tick=False):
        problem = problems.problem_create(
            actor=g.admin, title="Mail keeps failing", support_group=tehran
        )
    # 09:00 UTC: Tehran and Berlin are both open; the first in the chain's order gets it.
    f = log(g, capture, utc(8, 9), group=berlin)
    assert f.support_group == tehran

    followed = [a, e, f]
    due_before = {r.pk: sla_due_times(r) for r in followed}
    assert all(due_before.values()), "the SLA policy timed the incidents"

    moments = {}
    now = utc(8, 0)
    while now <= utc(9, 6):
        with time_machine.travel(now, tick=False):
            if now == utc(8, 20):  # New York resolves F before its day ends
                incidents.incident_transition(
                    incident_id=f.pk, actor=g.people["new_york"], target="resolved",
                    resolution_code="solved_permanently", resolution_notes="Restarted the relay.",
                )  # fmt: skip
            with capture(execute=True):
                made = services.handovers_due() + services.handovers_due()
                hand_over_desks_task()  # the beat on another worker, at the same minute
            for handover in made:
                moments[handover.desk.support_group.name] = (now, handover)
            for record in (a, e):
                record.refresh_from_db()
            if now == utc(8, 12, 30):  # live/'s rule: Berlin's agent is in hours
                assert a.assignee == e.assignee == g.people["berlin"]
            if now == utc(8, 22):  # Tehran's agent is not (01:30 there): they wait in the group
                assert a.assignee is None and a.status == "new"
            if utc(8, 12, 30) <= now < utc(8, 16):
                assert a.support_group == e.support_group == berlin
            elif utc(8, 16) <= now < utc(8, 22):
                assert a.support_group == e.support_group == new_york
            elif now >= utc(8, 22):
                assert a.support_group == e.support_group == tehran
        now += timedelta(minutes=15)

    # Every handover at the moment the desk closed, each exactly once.
    assert Handover.objects.count() == 3
    at, handover = moments["Desk Tehran"]
    assert at == handover.closed_at == utc(8, 12, 30)
    assert handover.to_desk.support_group == berlin
    assert handover.records == 3
    at, handover = moments["Desk Berlin"]
    assert at == handover.closed_at == utc(8, 16)
    assert handover.to_desk.support_group == new_york
    at, handover = moments["Desk New York"]
    assert at == handover.closed_at == utc(8, 22)
    assert handover.to_desk.support_group == tehran  # opens next, 04:30 UTC tomorrow
    assert handover.records == 2  # F was resolved in New York
    assert [i.number for i in handover.items.all()] == [a.number, e.number]

    # Nothing handed twice: one item per record and handover, one note per handover.
    assert HandoverItem.objects.filter(object_id=a.pk).count() == 3
    a_notes = notes(a)
    assert len(a_notes) == 3
    assert "Desk Tehran" in a_notes[0] and "Desk Berlin" in a_notes[0]
    assert Comment.objects.filter(object_id=a.pk, author=system_actor()).count() == 3

    # What does not follow the sun stayed with its owner all day.
    for record, owner in ((b, g.network), (low, tehran)):
        record.refresh_from_db()
        assert record.support_group == owner
        assert not notes(record)
    problem = Problem.objects.get(pk=problem.pk)
    assert problem.support_group == tehran

    # The SLA clocks on the customer's calendar are exactly as they were before the day: the
    # same start, target, pauses and due time (F's resolution stopped its clocks, nothing else).
    for record in followed:
        assert sla_due_times(record) == due_before[record.pk]


def test_running_again_after_the_closing_hands_over_nothing(
    globe, django_capture_on_commit_callbacks
):
    g = globe
    a = log(g, django_capture_on_commit_callbacks, utc(8, 5), group=g.groups["tehran"])
    with time_machine.travel(utc(8, 12, 31), tick=False):
        first = services.handovers_due()
    with time_machine.travel(utc(8, 13, 45), tick=False):
        again = services.handovers_due()
    assert [h.desk.support_group for h in first] == [g.groups["tehran"]]
    assert again == []
    a.refresh_from_db()
    assert a.support_group == g.groups["berlin"]
    assert len(notes(a)) == 1


def test_a_desk_closing_before_the_chain_existed_hands_over_nothing(globe):
    with time_machine.travel(utc(8, 0), tick=False):
        assert services.handovers_due() == []


def test_the_queue_badge_and_the_report(globe, client, django_capture_on_commit_callbacks):
    g = globe
    a = log(g, django_capture_on_commit_callbacks, utc(8, 5), group=g.groups["tehran"])
    stay = log(g, django_capture_on_commit_callbacks, utc(8, 5), group=g.network)
    with time_machine.travel(utc(8, 12, 30), tick=False):
        services.handovers_due()
    client.force_login(g.admin)
    page = client.get("/incidents/?queue=all").content.decode()
    row_a = page[page.index(a.number) : page.index(a.number) + 600]
    assert "Handed over from Desk Tehran" in row_a
    row_stay = page[page.index(stay.number) : page.index(stay.number) + 600]
    assert "Handed over from" not in row_stay

    desk = selectors.desks_for_report().get(support_group=g.groups["tehran"])
    report = client.get(f"/followsun/handovers/?desk={desk.pk}&day=2026-12-08")
    assert report.status_code == 200
    text = report.content.decode()
    assert a.number in text and "Desk Berlin" in text
    csv = b"".join(client.get(f"/followsun/handovers.csv?desk={desk.pk}&day=2026-12-08"))
    lines = csv.decode().splitlines()
    assert lines[0].startswith("desk,closed_at,to_desk,number")
    assert lines[1].startswith(f"Desk Tehran,2026-12-08T12:30:00+00:00,Desk Berlin,{a.number}")
    # Another day (the desk's local date) has nothing; a bad day is a clear 400, no 500.
    other = client.get(f"/followsun/handovers/?desk={desk.pk}&day=2026-12-09")
    assert a.number not in other.content.decode()
    bad = client.get(f"/followsun/handovers/?desk={desk.pk}&day=someday")
    assert bad.status_code == 400
    assert "Enter a valid date" in bad.content.decode()


@pytest.mark.parametrize("handed", [1, 8])
def test_the_queue_badges_take_one_query_whatever_the_page(
    globe, client, handed, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    g = globe
    for _ in range(handed):
        log(g, django_capture_on_commit_callbacks, utc(8, 5), group=g.groups["tehran"])
    with time_machine.travel(utc(8, 12, 30), tick=False):
        services.handovers_due()
    client.force_login(g.admin)
    client.get("/incidents/?queue=all")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/incidents/?queue=all").content.decode()
    assert page.count("Handed over from Desk Tehran") == handed
    badge_queries = [q for q in queries.captured_queries if "followsun_handoveritem" in q["sql"]]
    assert len(badge_queries) == 1
