from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service levels: business calendars, SLA policies, timers and escalations."""

    name = "sla"
    verbose_name = _("Service levels")

    def ready(self):
        from django.db.models.signals import post_migrate

        from servicedesk import memo
        from sla import models

        post_migrate.connect(_seed_after_migrate, sender=self)
        # The agreements and rules a new record's timers start from (servicedesk.memo).
        memo.watch(
            models.Calendar, models.WorkingHours, models.Holiday, models.SlaPolicy,
            models.SlaTarget, models.EscalationRule,
        )  # fmt: skip


def _seed_after_migrate(sender, **kwargs):
    """Tables emptied by a flush (as transactional tests do) get the default calendars,
    policies and rules back, as the priority matrix does (incidents.apps)."""
    from django.apps import apps
    from django.conf import settings

    from sla.defaults import seed_sla_defaults

    registry = kwargs.get("apps") or apps
    try:
        registry.get_model("sla", "Calendar")
    except LookupError:  # migrated only part of the way: the sla tables are not there yet
        return
    seed_sla_defaults(registry, time_zone=settings.TIME_ZONE)
