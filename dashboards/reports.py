"""The e-mailed summary: the same selectors as the page, rendered in the subscriber's language."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dashboards import formatting, selectors
from dashboards.models import Frequency, ReportSubscription
from dashboards.scope import scope_for

logger = logging.getLogger(__name__)


def last_period(frequency: str, today: date) -> tuple[str, date]:
    """The last complete week (Monday-Sunday) or month before `today`: (period name, start)."""
    if frequency == Frequency.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return "last_week", monday - timedelta(days=7)
    first = today.replace(day=1)
    return "last_month", (first - timedelta(days=1)).replace(day=1)


def subscription_scope(subscription: ReportSubscription, today: date):
    period, _start = last_period(subscription.frequency, today)
    return scope_for(
        period,
        today=today,
        service_id=subscription.service_id,
        support_group_id=subscription.support_group_id,
        organisation_id=subscription.organisation_id,
    )


def render_report(subscription: ReportSubscription, today: date) -> tuple[str, str]:
    """(subject, body) in the subscriber's language, with the page's numbers."""
    user = subscription.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        scope = subscription_scope(subscription, today)
        panel = selectors.kpi_summary(scope)
        lines = [
            {
                "kpi": row["kpi"],
                "value": formatting.display(row["value"], "decimal")
                + (row["unit"] if row["unit"] == "%" and row["value"] is not None else "")
                + (f" {row['unit']}" if row["unit"] == "h" and row["value"] is not None else ""),
                "target": row["target"],
            }
            for row in panel.rows
        ]
        sla = [
            [
                row["metric"],
                formatting.display(row["met"], "int"),
                formatting.display(row["breached"], "int"),
                formatting.display(row["compliance"], "pct"),
            ]
            for row in selectors.sla_summary(scope).rows
        ]
        filters = " · ".join(
            str(value)
            for value in (
                subscription.service or _("All services"),
                subscription.support_group or _("All groups"),
                subscription.organisation or _("All organisations"),
            )
        )
        base = getattr(settings, "SITE_URL", "").rstrip("/")
        url = f"{base}{reverse('dashboards:kpis')}?{scope.querystring()}"
        last_day = timezone.localtime(scope.end).date() - timedelta(days=1)
        body = render_to_string(
            "dashboards/email/report.txt",
            {
                "user": user,
                "start": timezone.localtime(scope.start).date(),
                "last_day": last_day,
                "filters": filters,
                "lines": lines,
                "sla": sla,
                "url": url,
            },
        )
        subject = (
            _("Weekly service desk report")
            if subscription.frequency == Frequency.WEEKLY
            else _("Monthly service desk report")
        )
    return subject, body


def send_due_reports(*, today: date | None = None) -> int:
    """Send every subscription's report for its last complete period, once (idempotent: the
    period sent is recorded, under a row lock, in the same transaction)."""
    today = today or timezone.localdate()
    sent = 0
    for pk in ReportSubscription.objects.filter(user__is_active=True).values_list("pk", flat=True):
        with transaction.atomic():
            subscription = (
                ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "service", "support_group", "organisation")
                .filter(pk=pk)
                .first()
            )
            if subscription is None:
                continue
            _period, start = last_period(subscription.frequency, today)
            if subscription.last_period_start == start:
                continue
            subject, body = render_report(subscription, today)
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.user.email])
            except Exception:  # noqa: BLE001 - the next run tries again
                logger.exception("report %s could not be sent", subscription.pk)
                continue
            subscription.last_period_start = start
            subscription.last_sent_at = timezone.now()
            subscription.save(update_fields=["last_period_start", "last_sent_at"])
            sent += 1
    return sent
