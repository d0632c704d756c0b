"""The array features equal the per-timer calendar walk they replaced (the model's meaning
stays): a Berlin office calendar with a holiday and a spring-forward night, a 24x7 one, paused
timers (a pause over, a pause still going, a pause begun after the moment)."""

import random
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.contrib.contenttypes.models import ContentType

from incidents.models import Incident
from prediction import features
from sla.models import Calendar, Holiday, SlaTimer, TimerState, WorkingHours
from tests.sla.factories import policy, switch_off_defaults

NOW = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)


def _parse(value):
    return datetime.fromisoformat(value) if value else None


def per_timer_clock(history, index, moments):
    """The clock columns as the scoring computed them before, one timer at a time with the
    calendar's `elapsed` and `is_working`: the oracle."""
    timers = SlaTimer.objects.in_bulk(history.timer_id.tolist())
    out = np.full((len(index), 6), np.nan)
    for i, (j, moment) in enumerate(zip(index, moments, strict=True)):
        timer = timers[int(history.timer_id[j])]
        calendar = history.calendars[int(history.calendar[j])]
        at = datetime.fromtimestamp(float(moment), UTC)
        started = datetime.fromtimestamp(float(history.started[j]), UTC)
        local = at.astimezone(calendar.zone)
        spent = calendar.elapsed(started, at).total_seconds() if at > started else 0.0
        paused = 0.0
        for pause_start, pause_stop in timer.pauses:
            begin = _parse(pause_start)
            if begin is None or begin >= at:
                continue
            end = min(_parse(pause_stop) or at, at)
            paused += calendar.elapsed(begin, end).total_seconds()
        spent = max(spent - paused, 0.0)
        target = history.target[j]
        out[i] = [local.hour + local.minute / 60, local.weekday(),
                  1.0 if calendar.is_working(at) else 0.0, target - spent,
                  spent / target if target else 0.0, paused]  # fmt: skip
    return out


CLOCK = ["hour", "weekday", "working_now", "business_left", "share_spent", "paused"]


def _calendars():
    office = Calendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=office, weekday=weekday, start=time(9), end=time(13))
        WorkingHours.objects.create(calendar=office, weekday=weekday, start=time(14), end=time(18))
    WorkingHours.objects.create(calendar=office, weekday=6, start=time(1), end=time(4))
    Holiday.objects.create(calendar=office, date=date(2025, 3, 27), name="A holiday")
    always = Calendar.objects.create(name="Around the clock", always_open=True, time_zone="UTC")
    return office, always


def test_the_array_features_equal_the_per_timer_walk(db, make_user):
    switch_off_defaults()
    office, always = _calendars()
    targets = [
        policy("Office", calendar=office, first_response=90, resolution=16 * 60).targets.all(),
        policy("Always", calendar=always, first_response=60, resolution=8 * 60).targets.all(),
    ]
    requester = make_user()
    content_type = ContentType.objects.get_for_model(Incident)
    rng = random.Random(3)
    timers = []
    for n in range(60):
        started = NOW - timedelta(days=14) + timedelta(seconds=rng.randrange(12 * 86400))
        incident = Incident.objects.create(
            number=f"INC{n + 1:07d}", title=f"Case {n}", requester=requester, priority=3,
            status="in_progress", impact="medium", urgency="medium",
        )  # fmt: skip
        for target in targets[n % 2]:
            pauses = []
            if n % 3 == 0:  # on hold for a while, then again and maybe still
                a = started + timedelta(hours=rng.uniform(0.5, 30))
                b = a + timedelta(hours=rng.uniform(0.1, 40))
                c = b + timedelta(hours=rng.uniform(1, 20))
                pauses = [[a.isoformat(), b.isoformat()],
                          [c.isoformat(), None if n % 2 else (c + timedelta(hours=3)).isoformat()]]  # fmt: skip
            timers.append(
                SlaTimer(
                    content_type=content_type, object_id=incident.pk, policy=target.policy,
                    target=target, metric=target.metric, started_at=started,
                    target_seconds=target.minutes * 60, pauses=pauses,
                    due_at=started + timedelta(minutes=target.minutes),
                    state=TimerState.PAUSED if pauses and n % 2 else TimerState.RUNNING,
                )
            )  # fmt: skip
    SlaTimer.objects.bulk_create(timers)
    assert any(t.pauses and t.pauses[-1][1] is None for t in timers)
    history = features.load(SlaTimer.objects.all())
    index = np.repeat(np.arange(len(history)), 8)
    moments = history.started[index] + rng_moments(len(index))
    # Moments on the holiday, in the spring-forward night and before the start too.
    moments[:4] = [datetime(2025, 3, 27, 10, tzinfo=UTC).timestamp(),
                   datetime(2025, 3, 30, 1, 30, tzinfo=UTC).timestamp(),
                   datetime(2025, 3, 30, 0, 59, 59, 999999, tzinfo=UTC).timestamp(),
                   history.started[index[3]] - 3600]  # fmt: skip
    got = features.rows(history, index, moments)
    expected = per_timer_clock(history, index, moments)
    columns = [features.COLUMN[name] for name in CLOCK]
    np.testing.assert_allclose(got[:, columns], expected, rtol=0, atol=1e-5)
    assert (got[:, features.COLUMN["paused"]] > 0).sum() > 20
    assert {0.0, 1.0} <= set(got[:, features.COLUMN["working_now"]])


def rng_moments(count):
    """Offsets from each timer's start: seconds to three weeks, some off the second."""
    generator = np.random.default_rng(7)
    return generator.uniform(0, 21 * 86400, count)


def test_no_timer_gives_no_row(db):
    history = features.load(SlaTimer.objects.none())
    assert features.rows(history, np.arange(0), np.zeros(0)).shape == (0, len(features.FEATURES))
