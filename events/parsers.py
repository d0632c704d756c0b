"""Each monitoring source's payload read into the same `Alert`s, or refused whole with the
fields that are wrong (`AlertsInvalid`, a 400 naming them). Nothing here touches the database.

- Alertmanager: the webhook's version 4 JSON (grouped alerts, labels, annotations).
- Zabbix: the media-type webhook's parameters as JSON (`event_id`, `event_value`, ...).
- Nagios / Icinga: the notification macros as JSON (`NOTIFICATIONTYPE`, `HOSTNAME`, ...),
  with or without the `NAGIOS_` / `ICINGA_` prefix of the environment variables.
- Generic: `{"alerts": [{"id", "status", "host", "service", "severity", "summary", "labels",
  "started_at", "ended_at"}]}` (docs/events.md).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from events.choices import Severity, SourceKind

MAX_ALERTS = 1000
FIRING, RESOLVED = "firing", "resolved"


@dataclass
class Alert:
    """One alert as every source is read: `key` is the source's own id for this notification
    (the same notification twice is taken once), `fingerprint` the alert condition's."""

    fingerprint: str
    status: str
    key: str
    host: str = ""
    service_name: str = ""
    summary: str = ""
    severity: str = Severity.WARNING
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class AlertsInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _text(value, limit: int = 255) -> str:
    return "" if value is None else str(value)[:limit]


def _strings(value) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k)[:100]: _text(v, 1000) for k, v in value.items()}


def _when(value, errors: dict, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            parsed = datetime.fromtimestamp(int(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.replace(" ", "T", 1) if "T" not in value else value)
        except ValueError:
            parsed = None
    if parsed is None:
        errors[name] = [_("Not a date and time: %(value)s") % {"value": _text(value, 40)}]
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    # Alertmanager's "not ended yet" is year 1.
    return None if parsed.year < 1971 else parsed


def _host(value: str) -> str:
    """`instance` labels carry a port (`db1:9100`); IPv6 in brackets keeps its colons."""
    value = _text(value)
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


SEVERITY_WORDS = {
    "critical": Severity.CRITICAL, "disaster": Severity.CRITICAL, "page": Severity.CRITICAL,
    "fatal": Severity.CRITICAL, "emergency": Severity.CRITICAL, "down": Severity.CRITICAL,
    "unreachable": Severity.MAJOR, "high": Severity.MAJOR, "major": Severity.MAJOR,
    "error": Severity.MAJOR, "average": Severity.MINOR, "minor": Severity.MINOR,
    "warning": Severity.WARNING, "warn": Severity.WARNING, "unknown": Severity.WARNING,
    "info": Severity.INFO, "information": Severity.INFO, "none": Severity.INFO,
    "not classified": Severity.INFO, "ok": Severity.INFO, "up": Severity.INFO,
}  # fmt: skip


def severity_of(value, default: str = Severity.WARNING) -> str:
    return SEVERITY_WORDS.get(_text(value).strip().lower(), default)


def _object(payload) -> dict:
    if not isinstance(payload, dict):
        raise AlertsInvalid({"body": [_("Send a JSON object.")]})
    return payload


def _each_alert(alerts, errors: dict[str, list[str]]):
    """(field prefix, alert object, status) of each alert of a list, the list itself and each
    alert's shape and status checked (what is wrong goes into `errors`)."""
    if not isinstance(alerts, list) or not alerts:
        raise AlertsInvalid({**errors, "alerts": [_("Send the alerts as a list.")]})
    if len(alerts) > MAX_ALERTS:
        raise AlertsInvalid({"alerts": [_("At most %(n)d alerts at once.") % {"n": MAX_ALERTS}]})
    for i, raw in enumerate(alerts):
        at = f"alerts[{i}]"
        if not isinstance(raw, dict):
            errors[at] = [_("Each alert is an object.")]
            continue
        status = raw.get("status")
        if status not in (FIRING, RESOLVED):
            errors[f"{at}.status"] = [_("“firing” or “resolved”.")]
        yield at, raw, status


def parse_alertmanager(payload) -> list[Alert]:
    payload = _object(payload)
    alerts = payload.get("alerts")
    errors: dict[str, list[str]] = {}
    if str(payload.get("version", "4")) != "4":
        errors["version"] = [_("Only version 4 of the Alertmanager webhook is read.")]
    common = _strings(payload.get("commonLabels"))
    result = []
    for at, raw, status in _each_alert(alerts, errors):
        labels = {**common, **_strings(raw.get("labels"))}
        if not labels.get("alertname"):
            errors[f"{at}.labels.alertname"] = [_("Every alert has an alertname label.")]
        starts = _when(raw.get("startsAt"), errors, f"{at}.startsAt")
        ends = _when(raw.get("endsAt"), errors, f"{at}.endsAt")
        if starts is None and f"{at}.startsAt" not in errors:
            errors[f"{at}.startsAt"] = [_("Every alert has a start.")]
        fingerprint = _text(raw.get("fingerprint"), 128) or _fingerprint(
            *(f"{k}={v}" for k, v in sorted(labels.items()))
        )
        annotations = _strings(raw.get("annotations"))
        host = labels.get("host") or labels.get("hostname") or _host(labels.get("instance", ""))
        result.append(Alert(
            fingerprint=fingerprint, status=str(status), host=host,
            key=f"am:{fingerprint}:{raw.get('startsAt')}:{status}"[:255],
            service_name=labels.get("alertname", ""),
            summary=_text(annotations.get("summary") or annotations.get("description")
                          or labels.get("alertname"), 500),
            severity=severity_of(labels.get("severity")), labels=labels,
            annotations=annotations, starts_at=starts, ends_at=ends,
        ))  # fmt: skip
    if errors:
        raise AlertsInvalid(errors)
    return result


def parse_zabbix(payload) -> list[Alert]:
    payload = _object(payload)
    errors: dict[str, list[str]] = {}
    for name in ("event_id", "event_value", "host_name"):
        if _text(payload.get(name)).strip() == "":
            errors[name] = [_("This parameter is required.")]
    name = _text(payload.get("event_name") or payload.get("trigger_name"), 500)
    if not name:
        errors["event_name"] = [_("This parameter is required.")]
    value = _text(payload.get("event_value"))
    if value and value not in ("0", "1"):
        errors["event_value"] = [_("1 for a problem, 0 for its recovery.")]
    tags = payload.get("event_tags") or []
    if isinstance(tags, str):
        try:
            tags = json.loads(tags) if tags.strip() else []
        except ValueError:
            errors["event_tags"] = [_("{EVENT.TAGSJSON}: a JSON list of tags.")]
            tags = []
    labels = {}
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("tag"):
            labels[_text(tag["tag"], 100)] = _text(tag.get("value"), 1000)
    started = _when(_zabbix_time(payload, "event"), errors, "event_date")
    ended = _when(_zabbix_time(payload, "event_recovery"), errors, "event_recovery_date")
    if errors:
        raise AlertsInvalid(errors)
    severity = payload.get("event_severity") or ""
    nseverity = _text(payload.get("event_nseverity"))
    if nseverity in ("0", "1", "2", "3", "4", "5"):
        severity = ("info", "info", "warning", "minor", "major", "critical")[int(nseverity)]
    host = _text(payload.get("host_name"))
    trigger = _text(payload.get("trigger_id"))
    event_id = _text(payload.get("event_id"))
    status = FIRING if value == "1" else RESOLVED
    update = _text(payload.get("event_update_status")) == "1"
    labels.update({k: _text(payload[k]) for k in ("host_ip", "host_name", "trigger_id")
                   if payload.get(k)})  # fmt: skip
    return [Alert(
        fingerprint=_fingerprint("zabbix", host, trigger) if trigger else f"zabbix:{event_id}",
        status=status, key=f"zbx:{event_id}:{value}:{'u' if update else ''}"
        f"{_text(payload.get('event_update_id') or payload.get('event_date'))}"[:255],
        host=host, service_name=name[:255], summary=name, severity=severity_of(severity),
        labels=labels, annotations={"opdata": _text(payload.get("event_opdata"), 1000)},
        starts_at=started, ends_at=ended if status == RESOLVED else None,
    )]  # fmt: skip


def _zabbix_time(payload: dict, prefix: str) -> str | None:
    day, time = payload.get(f"{prefix}_date"), payload.get(f"{prefix}_time")
    if not day:
        return None
    return f"{str(day).replace('.', '-')}T{time or '00:00:00'}"


NAGIOS_PROBLEM_STATES = {"DOWN", "UNREACHABLE", "CRITICAL", "WARNING", "UNKNOWN"}


def parse_nagios(payload) -> list[Alert]:
    payload = _object(payload)
    macros = {}
    for key, value in payload.items():
        name = str(key).upper()
        for prefix in ("NAGIOS_", "ICINGA_"):
            name = name.removeprefix(prefix)
        macros[name] = value
    errors: dict[str, list[str]] = {}
    kind = _text(macros.get("NOTIFICATIONTYPE")).upper()
    if kind not in ("PROBLEM", "RECOVERY", "ACKNOWLEDGEMENT", "FLAPPINGSTART", "FLAPPINGSTOP",
                    "CUSTOM"):  # fmt: skip
        errors["NOTIFICATIONTYPE"] = [_("PROBLEM, RECOVERY, ACKNOWLEDGEMENT or CUSTOM.")]
    host = _text(macros.get("HOSTNAME"))
    if not host:
        errors["HOSTNAME"] = [_("This macro is required.")]
    service = _text(macros.get("SERVICEDESC"))
    state = _text(macros.get("SERVICESTATE") if service else macros.get("HOSTSTATE")).upper()
    if not state:
        errors["SERVICESTATE" if service else "HOSTSTATE"] = [_("This macro is required.")]
    when = _when(macros.get("TIMET") or macros.get("LONGDATETIME"), errors, "TIMET")
    if errors:
        raise AlertsInvalid(errors)
    what = "SERVICE" if service else "HOST"
    problem = _text(macros.get(f"{what}PROBLEMID"))
    if problem in ("", "0"):
        problem = _text(macros.get(f"LAST{what}PROBLEMID"))
    resolved = kind == "RECOVERY" or state not in NAGIOS_PROBLEM_STATES
    output = _text(macros.get(f"{what}OUTPUT"), 500)
    return [Alert(
        fingerprint=_fingerprint("nagios", host, service), status=RESOLVED if resolved else FIRING,
        key=f"ngs:{host}:{service}:{problem}:{kind}:{state}:{_text(macros.get('TIMET'))}"[:255],
        host=host, service_name=service, summary=output or f"{host} {service} {state}".strip(),
        severity=severity_of(state), starts_at=when, ends_at=when if resolved else None,
        labels={"address": _text(macros.get("HOSTADDRESS")), "state": state,
                "notification": kind} | ({"problem_id": problem} if problem else {}),
    )]  # fmt: skip


def parse_generic(payload) -> list[Alert]:
    payload = _object(payload)
    alerts = payload.get("alerts", [payload] if "status" in payload else None)
    errors: dict[str, list[str]] = {}
    result = []
    for at, raw, status in _each_alert(alerts, errors):
        host, service = _text(raw.get("host")), _text(raw.get("service"))
        if not host and not raw.get("fingerprint"):
            errors[f"{at}.host"] = [_("Name the host, or give a fingerprint.")]
        severity = _text(raw.get("severity") or "warning").lower()
        if severity not in Severity.values and severity not in SEVERITY_WORDS:
            errors[f"{at}.severity"] = [_("One of: %s.") % ", ".join(Severity.values)]
        labels = raw.get("labels", {})
        if not isinstance(labels, dict):
            errors[f"{at}.labels"] = [_("An object of names and values.")]
        starts = _when(raw.get("started_at"), errors, f"{at}.started_at")
        ends = _when(raw.get("ended_at"), errors, f"{at}.ended_at")
        fingerprint = _text(raw.get("fingerprint"), 128) or _fingerprint("generic", host, service)
        result.append(Alert(
            fingerprint=fingerprint, status=str(status),
            key=f"gen:{_text(raw.get('id')) or fingerprint}:{status}:{raw.get('started_at')}"[:255],
            host=host, service_name=service, summary=_text(raw.get("summary"), 500),
            severity=severity_of(severity), labels=_strings(labels),
            annotations=_strings(raw.get("annotations")), starts_at=starts, ends_at=ends,
        ))  # fmt: skip
    if errors:
        raise AlertsInvalid(errors)
    return result


PARSERS = {
    SourceKind.ALERTMANAGER: parse_alertmanager,
    SourceKind.ZABBIX: parse_zabbix,
    SourceKind.NAGIOS: parse_nagios,
    SourceKind.GENERIC: parse_generic,
}
