"""Breach prediction on a synthetic history whose answer is known."""

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.roles import Role
from incidents.models import Incident
from prediction import features, services
from prediction.models import BreachModel, BreachPrediction
from servicedesk.actors import system_actor
from servicedesk.models import AuditEvent
from sla.models import Calendar, EscalationFiring, Metric, SlaTimer, TimerState
from tests.incidents.factories import ServiceFactory, SupportGroupFactory
from tests.sla.factories import policy, rule, switch_off_defaults

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TARGET = 4 * 3600


@pytest.fixture
def desk(db, settings, tmp_path, make_user):
    settings.PREDICTION_DIR = tmp_path
    settings.PREDICTION_MIN_HISTORY = 100
    settings.PREDICTION_TEST_DAYS = 15
    settings.PREDICTION_ITERATIONS = 40
    settings.PREDICTION_EVAL_STEP_HOURS = 24
    switch_off_defaults()
    calendar = Calendar.objects.create(name="Around the clock", always_open=True)
    standard = policy("Standard", calendar=calendar, first_response=None, resolution=TARGET // 60)
    agent = make_user(Role.AGENT, full_name="Arash Agent")
    return {
        "calendar": calendar,
        "policy": standard,
        "target": standard.targets.get(metric=Metric.RESOLUTION),
        "agent": agent,
        "requester": make_user(Role.END_USER),
        "group": SupportGroupFactory(name="Service Desk", members=[agent]),
        "risky": ServiceFactory(name="Payroll"),
        "safe": ServiceFactory(name="E-mail"),
    }


def _incident(desk, number, *, service, created, open_=False):
    return Incident(
        number=f"INC{number:07d}", title=f"Case {number}", requester=desk["requester"],
        support_group=desk["group"], status="in_progress" if open_ else "closed",
        impact="medium", urgency="medium", priority=3, service=service, created_at=created,
    )  # fmt: skip


def _history(desk, *, count=400, breaches=lambda i, service: service == "risky", days=60):
    """`count` closed incidents over the `days` before NOW, each with a closed resolution
    timer: breached when `breaches(i, service name)` says so."""
    rng = random.Random(5)
    made = []
    for i in range(count):
        name = "risky" if i % 2 else "safe"
        started = (
            NOW - timedelta(days=days) + timedelta(seconds=rng.randrange(days * 86400 - 86400))
        )
        made.append((i, name, started, breaches(i, name)))
    incidents = Incident.objects.bulk_create(
        [
            _incident(desk, i + 1, service=desk[name], created=started)
            for i, name, started, _ in made
        ]
    )
    content_type = ContentType.objects.get_for_model(Incident)
    timers = []
    for incident, (_i, _name, started, breached) in zip(incidents, made, strict=True):
        due = started + timedelta(seconds=TARGET)
        # Met a few minutes before the due time: how long a clock has run tells nothing alone.
        stopped = due + timedelta(hours=1) if breached else due - timedelta(minutes=5)
        timers.append(
            SlaTimer(
                content_type=content_type, object_id=incident.pk, policy=desk["policy"],
                target=desk["target"], metric=Metric.RESOLUTION, started_at=started,
                target_seconds=TARGET, due_at=due, stopped_at=stopped,
                breached_at=due if breached else None,
                state=TimerState.BREACHED if breached else TimerState.MET,
            )
        )  # fmt: skip
    SlaTimer.objects.bulk_create(timers)
    return incidents


def _open(desk, number, service):
    incident = Incident.objects.create(
        **{
            f.name: getattr(
                _incident(desk, number, service=desk[service], created=NOW, open_=True), f.name
            )
            for f in Incident._meta.concrete_fields
            if f.name not in ("id",)
        }
    )
    started = NOW - timedelta(minutes=30)
    timer = SlaTimer.objects.create(
        content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
        policy=desk["policy"], target=desk["target"], metric=Metric.RESOLUTION,
        started_at=started, target_seconds=TARGET, due_at=started + timedelta(seconds=TARGET),
        state=TimerState.RUNNING,
    )  # fmt: skip
    return incident, timer


def test_no_model_and_no_prediction_until_there_is_enough_history(desk, settings, client):
    settings.PREDICTION_MIN_HISTORY = 1000
    _history(desk, count=50)
    incident, _timer = _open(desk, 900, "risky")
    row = services.model_train(actor=system_actor(), now=NOW)
    assert not row.usable and "1000 needed" in row.note
    assert services.predictions_refresh(now=NOW) == 0
    assert not BreachPrediction.objects.exists()
    client.force_login(desk["agent"])
    page = client.get(reverse("prediction:queue"))
    assert b'data-test="no-model"' in page.content
    detail = client.get(reverse("incidents:detail", args=[incident.number]))
    assert b"breach-risk" not in detail.content


def test_a_feature_that_decides_the_breach_gives_a_high_auc(desk):
    _history(desk)
    row = services.model_train(actor=system_actor(), now=NOW)
    assert row.usable, row.note
    assert row.auc > 0.95
    # The 2 h rule knows nothing of the service: it flags only the last two hours of every clock.
    assert row.baseline_auc < row.auc
    assert row.metrics["importance"][0]["feature"] == "service"
    assert row.metrics["queue"]["breaches"] > 0
    calibration = row.metrics["calibration"]
    assert sum(b["rows"] for b in calibration) == row.test_rows


def test_open_timers_get_their_probability_and_reasons(desk, client):
    _history(desk)
    services.model_train(actor=system_actor(), now=NOW)
    risky, risky_timer = _open(desk, 901, "risky")
    _safe, safe_timer = _open(desk, 902, "safe")
    assert services.predictions_refresh(now=NOW) == 2
    high = BreachPrediction.objects.get(timer=risky_timer)
    low = BreachPrediction.objects.get(timer=safe_timer)
    assert high.probability > 0.8 > 0.2 > low.probability
    assert high.reasons[0]["feature"] == "service"
    client.force_login(desk["agent"])
    queue = client.get(reverse("prediction:queue")).content.decode()
    assert queue.index("INC0000901") < queue.index("INC0000902")  # riskiest first
    detail = client.get(reverse("incidents:detail", args=[risky.number])).content.decode()
    assert 'id="breach-risk"' in detail and "Service" in detail


def test_a_future_only_feature_is_not_used(desk):
    """Every breached record gets its group changed after it breached, never before: a model
    that read the future would find it; the features at a moment before do not see it."""
    incidents = _history(desk, breaches=lambda i, service: i % 3 == 0)
    content_type = ContentType.objects.get_for_model(Incident)
    breached = SlaTimer.objects.filter(state=TimerState.BREACHED)
    events = []
    for timer in breached:
        event = AuditEvent(
            content_type=content_type, object_id=timer.object_id, actor=system_actor(),
            kind="changed", field="support_group", new_text="Escalations",
        )  # fmt: skip
        events.append((event, timer.due_at + timedelta(minutes=10)))
    AuditEvent.objects.bulk_create([e for e, _ in events])
    for event, moment in events:
        AuditEvent.objects.filter(pk=event.pk).update(created_at=moment)
    history = features.load(SlaTimer.objects.all())
    index = np.arange(len(history))
    before = history.started + 60
    after = history.due + 3600
    column = features.COLUMN["reassignments"]
    assert features.rows(history, index, before)[:, column].max() == 0
    assert features.rows(history, index, after)[:, column].sum() == breached.count()
    row = services.model_train(actor=system_actor(), now=NOW)
    assert row.usable and row.auc < 0.75  # the breaches are chance for what was known then
    assert len(incidents) == 400


def test_an_escalation_rule_fires_once_on_a_predicted_probability(desk):
    _history(desk)
    services.model_train(actor=system_actor(), now=NOW)
    rule("Likely to breach", probability=70)
    _risky, risky_timer = _open(desk, 901, "risky")
    _safe, safe_timer = _open(desk, 902, "safe")
    services.predictions_refresh(now=NOW)
    services.predictions_refresh(now=NOW + timedelta(minutes=5))
    assert EscalationFiring.objects.filter(timer=risky_timer).count() == 1
    assert not EscalationFiring.objects.filter(timer=safe_timer).exists()


def test_the_quality_page_is_for_administrators(desk, client, make_user):
    _history(desk)
    services.model_train(actor=system_actor(), now=NOW)
    client.force_login(desk["agent"])
    assert client.get(reverse("prediction:quality")).status_code == 403
    client.force_login(make_user(Role.ADMINISTRATOR))
    page = client.get(reverse("prediction:quality")).content.decode()
    assert 'data-test="auc"' in page and 'data-test="calibration"' in page
    assert BreachModel.objects.filter(usable=True).count() == 1


def test_end_users_get_no_queue(desk, client):
    client.force_login(desk["requester"])
    assert client.get(reverse("prediction:queue")).status_code in (302, 403)


def test_reasons_are_kept_for_the_riskiest_only(desk, settings):
    settings.PREDICTION_REASONS_TOP = 1
    _history(desk)
    services.model_train(actor=system_actor(), now=NOW)
    _risky, risky_timer = _open(desk, 901, "risky")
    _other, other_timer = _open(desk, 903, "risky")
    _safe, safe_timer = _open(desk, 902, "safe")
    timings: dict[str, float] = {}
    assert services.predictions_refresh(now=NOW, timings=timings) == 3
    assert set(timings) == {"load", "features", "predict", "reasons", "write", "escalate"}
    stored = {row.timer_id: row for row in BreachPrediction.objects.all()}
    assert stored[risky_timer.pk].probability == stored[other_timer.pk].probability > 0.8
    assert [bool(stored[t.pk].reasons) for t in (risky_timer, other_timer, safe_timer)] == [
        True,
        False,
        False,
    ]
