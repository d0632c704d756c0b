"""What the portal remembers about deflection: did the articles it offered spare an incident?"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeflectionOutcome(models.TextChoices):
    OPEN = "open", _("Still typing or left")
    SOLVED = "solved", _("An article solved it")
    LOGGED = "logged", _("Went on to log an incident")


class Deflection(models.Model):
    """One visit to "report a problem": what was searched, which articles were offered and
    whether the person logged the incident. Visits never finished count as not logged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    query = models.CharField(_("last search"), max_length=200, blank=True)
    shown_article_ids = models.JSONField(default=list, blank=True)
    article = models.ForeignKey(
        "knowledge.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article that solved it"),
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=8,
        choices=DeflectionOutcome.choices,
        default=DeflectionOutcome.OPEN,
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [models.Index(fields=["created_at"], name="portal_deflection_created_idx")]

    def __str__(self):
        return f"{self.user_id}: {self.outcome}"
