"""Follow-the-sun desks: chains of support groups, each with its calendar (and so its time
zone), and the handovers at the end of each desk's day."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Chain(models.Model):
    """An ordered set of desks that work one queue around the clock. Which record types and
    priorities follow the sun is set here; the rest stays with its owning group."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    record_types = models.JSONField(
        _("record types"), default=list, help_text=_("The record types that follow the sun.")
    )
    priorities = models.JSONField(
        _("priorities"),
        default=list,
        blank=True,
        help_text=_("Only these priorities follow the sun (empty: every priority)."),
    )
    takes_unrouted = models.BooleanField(
        _("takes new records without a group"),
        default=False,
        help_text=_("New records of its types that arrive without a support group join it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("follow-the-sun chain")
        verbose_name_plural = _("follow-the-sun chains")

    def __str__(self):
        return self.name


class Desk(models.Model):
    """A support group in a chain, open by its calendar's working hours in its time zone."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="desks")
    position = models.PositiveSmallIntegerField(_("position"))
    support_group = models.OneToOneField(
        "accounts.SupportGroup",
        on_delete=models.PROTECT,
        related_name="desk",
        verbose_name=_("support group"),
    )
    calendar = models.ForeignKey(
        "sla.Calendar", on_delete=models.PROTECT, related_name="desks", verbose_name=_("calendar")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain", "position"]
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "position"], name="%(app_label)s_%(class)s_one_per_position"
            )
        ]

    def __str__(self):
        return self.support_group.name


class Handover(models.Model):
    """One end of a desk's day: at most one per desk and closing time (the beat may run twice,
    or on two workers), with the records it passed to the next desk that opens."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="handovers")
    closed_at = models.DateTimeField(_("desk closed at"))
    to_desk = models.ForeignKey(
        Desk, on_delete=models.SET_NULL, null=True, related_name="handovers_in"
    )
    records = models.PositiveIntegerField(_("records handed over"), default=0)
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-closed_at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        constraints = [
            models.UniqueConstraint(
                fields=["desk", "closed_at"], name="%(app_label)s_%(class)s_once_per_closing"
            )
        ]

    def __str__(self):
        return f"{self.desk} {self.closed_at:%Y-%m-%d %H:%M}"


class HandoverItem(models.Model):
    """A record passed on in a handover, with what it was when it left (number, title, status,
    the person who had it)."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="items")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    number = models.CharField(max_length=20)
    title = models.CharField(max_length=255)
    status = models.CharField(max_length=40)
    priority = models.PositiveSmallIntegerField(null=True)
    previous_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="followsun_item_rec_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "content_type", "object_id"],
                name="%(app_label)s_%(class)s_once_per_handover",
            )
        ]

    def __str__(self):
        return self.number

    @property
    def status_label(self) -> str:
        """The status it left in, in the reader's language (its type's status choices)."""
        model = self.content_type.model_class()
        if model is None:
            return self.status
        return str(
            dict(model._meta.get_field("status").choices or []).get(self.status, self.status)
        )
