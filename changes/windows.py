"""The change calendar's reference data: blackout windows (freeze periods, for one service or
for everything), maintenance windows (per service) and the scheduling policy (how far collision
detection follows the CMDB). Kept by change managers and administrators in the Django admin,
written through `changes.calendar_services`; re-exported by `changes.models`."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

DEFAULT_COLLISION_DEPTH = 3
MAX_COLLISION_DEPTH = 6


class TimeWindow(models.Model):
    """A named stretch of time [starts_at, ends_at) on the calendar."""

    name = models.CharField(_("name"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="%(app_label)s_%(class)s_ordered"
            )
        ]

    def __str__(self):
        return self.name


class BlackoutWindow(TimeWindow):
    """A freeze: no change is scheduled in it on its service (or on any, without a service),
    emergencies apart, which are allowed with a warning."""

    reason = models.TextField(_("reason"))
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="blackout_windows",
        verbose_name=_("service"),
        help_text=_("Empty: the freeze applies to every change."),
    )

    class Meta(TimeWindow.Meta):
        verbose_name = _("blackout window")
        verbose_name_plural = _("blackout windows")
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="chg_blackout_window_idx")]


class MaintenanceWindow(TimeWindow):
    """A service's agreed maintenance slot: the service may be down in it; another change
    reaching the service then collides with the maintenance."""

    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        verbose_name=_("service"),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta(TimeWindow.Meta):
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="chg_maintenance_window_idx")]


class SchedulingPolicy(models.Model):
    """One row: how many CMDB hops apart two changes' CIs may be and still collide."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    collision_depth = models.PositiveSmallIntegerField(
        _("collision depth"),
        default=DEFAULT_COLLISION_DEPTH,
        help_text=_(
            "Two changes in overlapping windows collide when their CIs are this many "
            "relationships apart or fewer (0: only the same CIs)."
        ),
    )

    class Meta:
        verbose_name = _("scheduling policy")
        verbose_name_plural = _("scheduling policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="%(app_label)s_%(class)s_single"),
            models.CheckConstraint(
                condition=Q(collision_depth__lte=MAX_COLLISION_DEPTH),
                name="%(app_label)s_%(class)s_depth_bounded",
            ),
        ]

    def __str__(self):
        return str(_("Scheduling policy"))
