"""What every panel shares: the targets, `Column` and `Panel`, the helpers on `RecordFact`
and the names of the dimensions a panel groups by."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import (
    Aggregate,
    FloatField,
    Q,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, SupportGroup
from dashboards.models import RecordFact
from dashboards.scope import Scope
from servicedesk import registry

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


# The seed's service-quality targets (../shared/ITIL.md, "Service quality targets").
TARGET_AVAILABILITY = 99.6  # % of the period's hours, per service
TARGET_MTBF_HOURS = 340.0  # more than
TARGET_FAULTS_PER_MONTH = 5  # at most
TARGET_FIRST_CONTACT = 75.0  # % at least
TARGET_HOTLINE_INDEX = 92.0  # % at least
TARGET_SATISFACTION_10 = 8.5  # mean on a 10-point scale
DAYS_PER_MONTH = 30.4375
AGE_BUCKETS = [
    ("lt1d", _("< 1 day"), 1),
    ("d1_3", _("1-3 days"), 3),
    ("d3_7", _("3-7 days"), 7),
    ("d7_30", _("7-30 days"), 30),
    ("gt30d", _("> 30 days"), None),
]
LIVE_LIMIT = 50


@dataclass
class Column:
    key: str
    label: str | StrPromise
    kind: str = "int"  # text, int, pct, hours, decimal, date, datetime, link


@dataclass
class Panel:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: dict | None = None
    definition: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


def pct(part, whole) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def hours(seconds) -> float | None:
    return round(seconds / 3600.0, 2) if seconds is not None else None


class Percentiles(Aggregate):
    """PostgreSQL's percentile_cont(ARRAY[p, ...]) WITHIN GROUP (ORDER BY expression): several
    percentiles from one sort."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions, **extra):
        from django.contrib.postgres.fields import ArrayField

        text = ", ".join(f"{float(f)!r}::float8" for f in fractions)
        super().__init__(expression, fractions=text, output_field=ArrayField(FloatField()), **extra)


def facts(scope: Scope):
    return RecordFact.objects.filter(scope.fact_q())


def _in(field_name: str, scope: Scope) -> Q:
    return Q(**{f"{field_name}__gte": scope.start, f"{field_name}__lt": scope.end})


# --- Names of the dimensions --------------------------------------------------------------------

DIMENSIONS = {
    "priority": _("Priority"),
    "service": _("Service"),
    "support_group": _("Support group"),
    "organisation": _("Organisation"),
}


def _names(dimension: str, keys) -> dict:
    keys = [key for key in keys if key is not None]
    if dimension == "priority":
        levels = dict(registry.shared_model("priority_level").objects.values_list("level", "name"))
        return {key: f"P{key} {levels.get(key, '')}".strip() for key in keys}
    model = {
        "service": registry.shared_model("service"),
        "support_group": SupportGroup,
        "organisation": Organisation,
    }[dimension]
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))


def _name(names: dict, key) -> str:
    if key is None:
        return str(_("(none)"))
    return names.get(key, str(key))


def _field(dimension: str) -> str:
    return dimension if dimension == "priority" else f"{dimension}_id"
