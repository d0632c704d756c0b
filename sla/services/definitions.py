"""The one write path of the SLA definitions: calendars with their working hours and holidays,
policies with their targets, escalation rules. The admin, the API and the demo data call these.

Each service checks its input whole (`calendar_check`, `policy_check`, `rule_check`: a
ValidationError keyed by field, the pure calendar's own message for an unusable week), writes in
one transaction with a `DefinitionChange` audit row, and asks for the open timers that use what
changed to be recomputed (`recompute_request`: a PendingRecompute row in the same transaction and
a task after the commit; with the broker down the SLA sweep does it). Calendars and policies
carry a version: an update given the version it was editing is refused (StaleVersion, 409) when
somebody saved in between.
"""

from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from servicedesk.actors import actor_required
from servicedesk.exceptions import ApplicationError, StaleVersion
from servicedesk.jobs import enqueue_on_commit
from sla.calendar import BusinessCalendar, CalendarError
from sla.models import (
    KIND_METRICS,
    Calendar,
    DefinitionAction,
    DefinitionChange,
    EscalationRule,
    Holiday,
    Metric,
    PendingRecompute,
    SlaPolicy,
    SlaTarget,
    WorkingHours,
)

CALENDAR_FIELDS = ("name", "time_zone", "always_open", "country")
POLICY_FIELDS = (
    "name", "kind", "record_type", "priority", "service", "organisation", "support_group",
    "supplier", "precedence", "pause_on", "is_active",
)  # fmt: skip
RULE_FIELDS = (
    "name", "policy", "metric", "percent", "offset_minutes", "probability", "action", "role",
    "addresses", "support_group", "is_active",
)  # fmt: skip


_KIND_METRICS: dict[str, set[str]] = {
    str(kind): {str(metric) for metric in metrics} for kind, metrics in KIND_METRICS.items()
}


class DefinitionInUse(ApplicationError):
    """A calendar that targets use, or a policy that timers ran on, cannot be deleted."""

    status_code = 409


# --- Recompute ----------------------------------------------------------------------------------


def recompute_request(
    *, calendar_id: int | None = None, policy_id: int | None = None, metric: str = ""
) -> PendingRecompute:
    """Record that the open timers of a calendar, a policy (or every policy: None) and
    optionally one metric must be recomputed, and ask a worker after the commit.

    Precondition: inside the transaction of the edit. The row commits with it; a broker that
    refuses the task loses nothing (the sweep runs what is pending).
    """
    from sla.tasks import recompute_timers_task  # sla.tasks imports this package

    pending = PendingRecompute.objects.create(
        calendar_id=calendar_id, policy_id=policy_id, metric=metric or ""
    )
    enqueue_on_commit(recompute_timers_task, pending.pk)
    return pending


# --- Checks -------------------------------------------------------------------------------------


def check_week(week: Mapping[int, list[tuple[time, time]]], *, time_zone: str) -> None:
    """Raise ValidationError with the calendar's own message when the week is unusable."""
    try:
        BusinessCalendar(time_zone=time_zone, week=dict(week), holidays=frozenset())
    except CalendarError as error:
        raise ValidationError(str(error)) from error


def check_country(code: str) -> str:
    """The country code in capitals, or ValidationError when `holidays` has no such country."""
    country = (code or "").upper()
    if country:
        import holidays

        if country not in holidays.list_supported_countries():
            raise ValidationError(_("No public holiday calendar for “%(code)s”.")
                                  % {"code": country})  # fmt: skip
    return country


def _field_errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


def calendar_check(
    *, calendar: Calendar, hours: Sequence[Mapping], holidays: Sequence[Mapping]
) -> None:
    """Refuse a calendar that cannot be computed with (ValidationError keyed by field): its own
    fields (a name in use, an unknown time zone or country), rows that are not whole, a week
    with overlapping, inverted or no working time (unless 24x7), a holiday listed twice."""
    errors: dict[str, list[str]] = {}
    try:
        calendar.country = check_country(calendar.country)
    except ValidationError as error:
        errors["country"] = list(error.messages)
    try:
        calendar.full_clean(exclude=["version", *errors])
    except ValidationError as error:
        for field, messages in _field_errors(error).items():
            errors.setdefault(field, []).extend(messages)
    week: dict[int, list[tuple[time, time]]] = {}
    for row in hours:
        try:
            WorkingHours(**row).full_clean(exclude=["calendar"])
        except (ValidationError, TypeError) as error:
            errors.setdefault("hours", []).append(_row_message(error))
            continue
        week.setdefault(row["weekday"], []).append((row["start"], row["end"]))
    if "hours" not in errors and not calendar.always_open and "time_zone" not in errors:
        try:
            check_week(week, time_zone=calendar.time_zone or "UTC")
        except ValidationError as error:
            errors["hours"] = list(error.messages)
    for row in holidays:
        try:
            Holiday(**row).full_clean(exclude=["calendar"])
        except (ValidationError, TypeError) as error:
            errors.setdefault("holidays", []).append(_row_message(error))
    dates = [row.get("date") for row in holidays]
    if "holidays" not in errors and len(dates) != len(set(dates)):
        errors["holidays"] = [_("A date is listed twice.")]
    if errors:
        raise ValidationError(errors)


def _row_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(f"{field}: {' '.join(m)}" for field, m in _field_errors(error).items())
    return _("This field cannot be set here.")  # a row with a key the model does not have


def policy_check(*, policy: SlaPolicy, targets: Sequence[Mapping]) -> None:
    """Refuse a policy that cannot apply (ValidationError keyed by field): its own fields and
    rules (an OLA names a group, a UC a supplier and a service), no target, a metric twice, a
    metric its kind of agreement does not measure, a target without minutes or calendar."""
    errors: dict[str, list[str]] = {}
    try:
        policy.full_clean(exclude=["version"])
    except ValidationError as error:
        errors.update(_field_errors(error))
    metrics = [row.get("metric") for row in targets]
    if not targets:
        errors["targets"] = [_("A policy needs at least one target.")]
    elif len(metrics) != len(set(metrics)):
        errors["targets"] = [_("Give each metric one target only.")]
    elif (allowed := _KIND_METRICS.get(policy.kind)) is not None:
        for row in targets:
            if row.get("metric") not in allowed:
                errors.setdefault("targets", []).append(
                    _("%(metric)s is not measured by an %(kind)s.")
                    % {
                        "metric": _metric_label(row.get("metric")),
                        "kind": policy.get_kind_display(),
                    }
                )
                continue
            try:
                _target(policy, row).full_clean(exclude=["policy"])
            except (ValidationError, TypeError) as error:
                errors.setdefault("targets", []).append(_row_message(error))
    if errors:
        raise ValidationError(errors)


def _metric_label(value) -> str:
    try:
        return str(Metric(value).label)
    except ValueError:
        return str(value)


def rule_check(*, rule: EscalationRule) -> None:
    """Refuse a rule that cannot fire (ValidationError keyed by field), by the model's rules."""
    rule.full_clean()


# --- Calendars ----------------------------------------------------------------------------------


@transaction.atomic
def calendar_create(
    *,
    actor,
    fields: Mapping[str, Any],
    hours: Sequence[Mapping] = (),
    holidays: Sequence[Mapping] = (),
) -> Calendar:
    """Create a calendar with its week and holidays. Raises ValidationError (calendar_check).
    No timer uses a new calendar, so nothing is recomputed."""
    actor_required(actor)
    calendar = Calendar(**_only(fields, CALENDAR_FIELDS))
    calendar_check(calendar=calendar, hours=hours, holidays=holidays)
    calendar.save()
    _replace_rows(calendar, hours, holidays)
    _audit(calendar, actor, DefinitionAction.CREATED, {}, _calendar_state(calendar))
    return calendar


@transaction.atomic
def calendar_update(
    *,
    calendar_id: int,
    actor,
    changes: Mapping[str, Any],
    hours: Sequence[Mapping] | None = None,
    holidays: Sequence[Mapping] | None = None,
    version: int | None = None,
) -> Calendar:
    """Change a calendar's fields and, when given, replace its week or its holidays.

    Locks the calendar. When anything changed: the version goes up (the cached business
    calendar of the old version is not used again), a `changed` audit row lists old and new,
    and the open timers on the calendar are recomputed after the commit. Raises
    Calendar.DoesNotExist, StaleVersion (a `version` that is not the current one) and
    ValidationError (calendar_check; nothing is saved).
    """
    actor_required(actor)
    calendar = Calendar.objects.select_for_update().get(pk=calendar_id)
    _check_version(calendar, version)
    before = _calendar_state(calendar)
    for field, value in _only(changes, CALENDAR_FIELDS).items():
        setattr(calendar, field, value)
    if hours is None:
        hours = list(calendar.hours.values("weekday", "start", "end"))
    if holidays is None:
        holidays = list(calendar.holidays.values("date", "name"))
    calendar_check(calendar=calendar, hours=hours, holidays=holidays)
    after = {**_fields_state(calendar, CALENDAR_FIELDS), **_rows_state(hours, holidays)}
    if after == before:
        return calendar
    calendar.version += 1
    calendar.save()
    _replace_rows(calendar, hours, holidays)
    _audit(calendar, actor, DefinitionAction.CHANGED, before, after)
    recompute_request(calendar_id=calendar.pk)
    return calendar


@transaction.atomic
def calendar_delete(*, calendar_id: int, actor) -> None:
    """Delete a calendar no target uses (else DefinitionInUse, 409), with a `deleted` row."""
    actor_required(actor)
    calendar = Calendar.objects.select_for_update().get(pk=calendar_id)
    before = _calendar_state(calendar)
    _audit(calendar, actor, DefinitionAction.DELETED, before, {})
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError as error:
        raise DefinitionInUse(
            _("Targets use this calendar: point them at another calendar first.")
        ) from error


def _replace_rows(calendar: Calendar, hours: Sequence[Mapping], holidays: Sequence[Mapping]):
    calendar.hours.all().delete()
    calendar.holidays.all().delete()
    WorkingHours.objects.bulk_create(WorkingHours(calendar=calendar, **row) for row in hours)
    Holiday.objects.bulk_create(Holiday(calendar=calendar, **row) for row in holidays)


def _calendar_state(calendar: Calendar) -> dict[str, Any]:
    if calendar.pk is None:
        return {}
    return {
        **_fields_state(calendar, CALENDAR_FIELDS),
        **_rows_state(
            list(calendar.hours.values("weekday", "start", "end")),
            list(calendar.holidays.values("date", "name")),
        ),
    }


def _rows_state(hours: Sequence[Mapping], holidays: Sequence[Mapping]) -> dict[str, Any]:
    return {
        "hours": sorted([row["weekday"], _json(row["start"]), _json(row["end"])] for row in hours),
        "holidays": sorted([_json(row["date"]), row.get("name", "")] for row in holidays),
    }


# --- Policies -----------------------------------------------------------------------------------


@transaction.atomic
def policy_create(*, actor, fields: Mapping[str, Any], targets: Sequence[Mapping]) -> SlaPolicy:
    """Create a policy with its targets (one per metric). Raises ValidationError
    (policy_check). Running timers keep their agreement: nothing is recomputed."""
    actor_required(actor)
    policy = SlaPolicy(**_only(fields, POLICY_FIELDS))
    policy_check(policy=policy, targets=targets)
    policy.save()
    for row in targets:
        _target(policy, row).save()
    _audit(policy, actor, DefinitionAction.CREATED, {}, _policy_state(policy))
    return policy


@transaction.atomic
def policy_update(
    *,
    policy_id: int,
    actor,
    changes: Mapping[str, Any],
    targets: Sequence[Mapping] | None = None,
    version: int | None = None,
) -> SlaPolicy:
    """Change a policy's fields and, when given, its targets: a metric not listed any more
    loses its target (refused with DefinitionInUse when timers ran on it).

    Locks the policy. When anything changed: the version goes up, a `changed` audit row, and
    its open timers are recomputed after the commit (those of a policy switched off move to
    the next matching agreement). Raises SlaPolicy.DoesNotExist, StaleVersion, ValidationError.
    """
    actor_required(actor)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    _check_version(policy, version)
    before = _policy_state(policy)
    for field, value in _only(changes, POLICY_FIELDS).items():
        setattr(policy, field, value)
    if targets is None:
        targets = [
            {"metric": t.metric, "minutes": t.minutes, "calendar": t.calendar_id}
            for t in policy.targets.all()
        ]
    policy_check(policy=policy, targets=targets)
    after = {**_fields_state(policy, POLICY_FIELDS), "targets": _targets_state(targets)}
    if after == before:
        return policy
    policy.version += 1
    policy.save()
    wanted = {row["metric"]: row for row in targets}
    try:
        with transaction.atomic():
            policy.targets.exclude(metric__in=wanted).delete()
    except ProtectedError as error:
        raise DefinitionInUse(
            _("Timers ran on a target you removed: keep it, or deactivate the policy instead.")
        ) from error
    for metric, row in wanted.items():
        target = _target(policy, row)
        SlaTarget.objects.update_or_create(
            policy=policy,
            metric=metric,
            defaults={"minutes": target.minutes, "calendar_id": target.calendar_id},
        )
    _audit(policy, actor, DefinitionAction.CHANGED, before, after)
    recompute_request(policy_id=policy.pk)
    return policy


@transaction.atomic
def policy_delete(*, policy_id: int, actor) -> None:
    """Delete a policy no timer ran on (else DefinitionInUse, 409), with a `deleted` row."""
    actor_required(actor)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    _audit(policy, actor, DefinitionAction.DELETED, _policy_state(policy), {})
    try:
        with transaction.atomic():
            policy.delete()
    except ProtectedError as error:
        raise DefinitionInUse(
            _("Timers ran on this policy: deactivate it instead of deleting it.")
        ) from error


def policy_put(
    *, actor, name: str, fields: Mapping[str, Any], targets: Sequence[Mapping]
) -> SlaPolicy:
    """The policy named `name` with these fields and targets: created, or else updated (and
    then audited and recomputed as any update). For loading data such as the demo's, again and
    again with the same result."""
    existing = SlaPolicy.objects.filter(name=name).values_list("pk", flat=True).first()
    if existing is None:
        return policy_create(actor=actor, fields={**fields, "name": name}, targets=targets)
    return policy_update(policy_id=existing, actor=actor, changes=fields, targets=targets)


def _target(policy: SlaPolicy, row: Mapping) -> SlaTarget:
    calendar = row.get("calendar")
    values: dict[str, Any] = {
        "metric": row.get("metric"),
        "minutes": row.get("minutes"),
        "calendar_id": calendar.pk if isinstance(calendar, Calendar) else calendar,
    }
    return SlaTarget(policy=policy, **values)


def _policy_state(policy: SlaPolicy) -> dict[str, Any]:
    targets = [
        {"metric": t.metric, "minutes": t.minutes, "calendar": t.calendar_id}
        for t in policy.targets.all()
    ]
    return {**_fields_state(policy, POLICY_FIELDS), "targets": _targets_state(targets)}


def _targets_state(targets: Sequence[Mapping]) -> list:
    rows = []
    for row in targets:
        calendar = row.get("calendar")
        rows.append(
            [
                row["metric"],
                row["minutes"],
                calendar.pk if isinstance(calendar, Calendar) else calendar,
            ]
        )
    return sorted(rows)


# --- Escalation rules ---------------------------------------------------------------------------


@transaction.atomic
def rule_create(*, actor, fields: Mapping[str, Any]) -> EscalationRule:
    """Create an escalation rule; the open timers it applies to get their next moments again
    after the commit. Raises ValidationError (rule_check)."""
    actor_required(actor)
    rule = EscalationRule(**_only(fields, RULE_FIELDS))
    rule_check(rule=rule)
    rule.save()
    _audit(rule, actor, DefinitionAction.CREATED, {}, _fields_state(rule, RULE_FIELDS))
    _recompute_for_rule(rule)
    return rule


@transaction.atomic
def rule_update(*, rule_id: int, actor, changes: Mapping[str, Any]) -> EscalationRule:
    """Change an escalation rule (locked); the timers it applied to and those it applies to now
    get their next moments again after the commit. Raises EscalationRule.DoesNotExist,
    ValidationError (rule_check)."""
    actor_required(actor)
    rule = EscalationRule.objects.select_for_update().get(pk=rule_id)
    before = _fields_state(rule, RULE_FIELDS)
    scope = (rule.policy_id, rule.metric)
    for field, value in _only(changes, RULE_FIELDS).items():
        setattr(rule, field, value)
    rule_check(rule=rule)
    after = _fields_state(rule, RULE_FIELDS)
    if after == before:
        return rule
    rule.save()
    _audit(rule, actor, DefinitionAction.CHANGED, before, after)
    _recompute_for_rule(rule)
    if scope != (rule.policy_id, rule.metric):
        recompute_request(policy_id=scope[0], metric=scope[1])
    return rule


@transaction.atomic
def rule_delete(*, rule_id: int, actor) -> None:
    """Delete an escalation rule (its firings go with it), audited; the timers it applied to
    get their next moments again after the commit."""
    actor_required(actor)
    rule = EscalationRule.objects.select_for_update().get(pk=rule_id)
    _audit(rule, actor, DefinitionAction.DELETED, _fields_state(rule, RULE_FIELDS), {})
    _recompute_for_rule(rule)
    rule.delete()


def _recompute_for_rule(rule: EscalationRule) -> PendingRecompute:
    return recompute_request(policy_id=rule.policy_id, metric=rule.metric)


# --- Shared -------------------------------------------------------------------------------------


def _only(values: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    return dict(values)


def _check_version(row: Calendar | SlaPolicy, version: int | None) -> None:
    if version is not None and version != row.version:
        raise StaleVersion()


def _json(value):
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _fields_state(row: models.Model, names: Sequence[str]) -> dict[str, Any]:
    state = {}
    for name in names:
        field = row._meta.get_field(name)
        value = (
            getattr(row, field.attname)
            if isinstance(field, models.ForeignKey)
            else getattr(row, name)
        )
        state[name] = _json(value)
    return state


def _audit(row: models.Model, actor, action: str, before: Mapping, after: Mapping) -> None:
    """The `DefinitionChange` row of one change: each field that differs as [old, new]."""
    names = sorted(set(before) | set(after))
    changes = {
        name: [before.get(name), after.get(name)]
        for name in names
        if before.get(name) != after.get(name)
    }
    DefinitionChange.objects.create(
        content_type=ContentType.objects.get_for_model(row),
        object_id=row.pk,
        name=str(getattr(row, "name", ""))[:120],
        action=action,
        actor=actor,
        changes=changes,
    )
