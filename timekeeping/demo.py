"""Sample time and hourly rates for `load_demo`: a rate per support group and one contract
rate, and time logged by the assignees of recent records of every type, so the time dashboard
and the chargeback report have figures. Idempotent: runs once (recognised by the rates)."""

import random
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from accounts.models import Organisation, SupportGroup
from servicedesk.registry import all_types
from timekeeping import services
from timekeeping.models import HourlyRate

PER_TYPE = 60


def load_samples() -> None:
    if HourlyRate.objects.exists():
        return
    for group in SupportGroup.objects.filter(is_active=True):
        services.hourly_rate_put(support_group=group, rate=Decimal("60"))
    contract = Organisation.objects.order_by("name").first()
    if contract is not None:
        services.hourly_rate_put(organisation=contract, rate=Decimal("80"))
    rng = random.Random(20)  # noqa: S311 - sample data, not secrets
    today = timezone.localdate()
    for record_type in all_types():
        model = apps.get_model(record_type.model)
        if not any(f.name == "assignee" for f in model._meta.fields):
            continue
        records = (
            model._default_manager.filter(assignee__isnull=False)
            .select_related("assignee", "support_group")
            .order_by("-created_at")[:PER_TYPE]
        )
        for record in records:
            if record.assignee is None or not record.assignee.is_active:
                continue
            worked_on = min(
                today, timezone.localdate(record.created_at) + timedelta(days=rng.randint(0, 2))
            )
            services.time_entry_add(
                record=record,
                actor=record.assignee,
                minutes=rng.choice([10, 15, 20, 30, 45, 60, 90]),
                billable=record.organisation_id is not None and rng.random() < 0.6,
                worked_on=worked_on,
            )
