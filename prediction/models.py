"""Breach prediction: the trained models with their measured quality, and the current
probability of breach of each open SLA timer (docs/prediction.md)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BreachModel(models.Model):
    """One training run: where its fitted model is stored (joblib, in the data directory) and how
    well it did on the held-out most recent period. The newest usable row is the model in use."""

    trained_at = models.DateTimeField(_("trained"), default=timezone.now)
    path = models.CharField(_("file"), max_length=300, blank=True)
    usable = models.BooleanField(
        _("usable"), default=False, help_text=_("Enough history to predict with.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = models.PositiveIntegerField(_("closed timers in the history"), default=0)
    training_rows = models.PositiveIntegerField(_("training rows"), default=0)
    test_rows = models.PositiveIntegerField(_("test rows"), default=0)
    test_from = models.DateTimeField(_("held out from"), null=True, blank=True)
    test_until = models.DateTimeField(_("held out until"), null=True, blank=True)
    breach_rate = models.FloatField(_("breach rate in the test period"), null=True, blank=True)
    auc = models.FloatField(_("AUC"), null=True, blank=True)
    baseline_auc = models.FloatField(_("AUC of the 2 h rule"), null=True, blank=True)
    brier = models.FloatField(_("Brier score"), null=True, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    seconds = models.FloatField(_("training seconds"), default=0)

    class Meta:
        ordering = ["-trained_at", "-id"]
        verbose_name = _("breach model")
        verbose_name_plural = _("breach models")
        indexes = [
            models.Index(fields=["usable", "-trained_at"], name="prediction_model_usable_idx")
        ]

    def __str__(self):
        return f"{self.trained_at:%Y-%m-%d %H:%M} AUC {self.auc or 0:.3f}"


class BreachPrediction(models.Model):
    """The latest probability that an open SLA timer breaches, with its main reasons. Rewritten
    at each scoring; a timer no longer running loses its row."""

    timer = models.OneToOneField(
        "sla.SlaTimer", on_delete=models.CASCADE, related_name="prediction", primary_key=True
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    probability = models.FloatField(_("probability of breach"))
    reasons = models.JSONField(_("main reasons"), default=list, blank=True)
    model = models.ForeignKey(BreachModel, on_delete=models.CASCADE, related_name="predictions")
    predicted_at = models.DateTimeField(_("predicted"), default=timezone.now)

    class Meta:
        verbose_name = _("breach prediction")
        verbose_name_plural = _("breach predictions")
        indexes = [
            # The "likely to breach" queue and the dashboard: highest risk first.
            models.Index(fields=["-probability"], name="prediction_risk_idx"),
            models.Index(fields=["content_type", "object_id"], name="prediction_record_idx"),
        ]

    def __str__(self):
        return f"timer {self.timer_id}: {self.probability:.0%}"
