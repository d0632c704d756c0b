"""What people read of the breach prediction: the "likely to breach" queue, a record's
probability and reasons, the dashboard's predicted breaches, the model's quality."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.roles import USE_WORKSPACE
from prediction.features import FEATURES
from prediction.models import BreachModel, BreachPrediction
from servicedesk import memo, registry

LABELS = {name: label for name, label, _categorical in FEATURES}
QUALITY_PERMISSION = "prediction.view_breachmodel"


def flag_at() -> float:
    return float(getattr(settings, "PREDICTION_FLAG_AT", 0.5))


def current_model() -> BreachModel | None:
    """The model in use: the newest usable one, None until there is enough history. Kept per
    process until a model is saved (every record page asks; a model is trained once a day)."""
    return memo.reference("prediction:current-model", _newest_usable_model)


def _newest_usable_model() -> BreachModel | None:
    return BreachModel.objects.filter(usable=True).exclude(path="").first()


def likely_to_breach(*, user, limit: int = 50, minimum: float = 0.0) -> list[dict[str, Any]]:
    """The open timers most likely to breach among the records `user` may see, highest risk
    first: one indexed query per timed record type (the type's own `visible_to`), merged."""
    found: list[BreachPrediction] = []
    for record_type in registry.all_types():
        if not record_type.timed:
            continue
        model = record_type.model_class
        content_type = ContentType.objects.get_for_model(model)
        visible = record_type.visible(user).values("pk")
        rows = (
            BreachPrediction.objects.filter(
                content_type=content_type, object_id__in=visible, probability__gte=minimum
            )
            .select_related("timer")
            .order_by("-probability", "timer_id")[:limit]
        )
        found.extend(rows)
    found.sort(key=lambda row: (-row.probability, row.timer_id))
    found = found[:limit]
    return _with_records(found)


def _with_records(predictions: list[BreachPrediction]) -> list[dict[str, Any]]:
    wanted: dict[int, set[int]] = {}
    for row in predictions:
        wanted.setdefault(row.content_type_id, set()).add(row.object_id)
    records: dict[tuple[int, int], Any] = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        manager = model._default_manager.select_related("support_group", "assignee")
        for pk, record in manager.in_bulk(ids).items():
            records[(content_type_id, pk)] = record
    items = []
    for row in predictions:
        found = records.get((row.content_type_id, row.object_id))
        if found is None:
            continue
        record = found
        record_type = registry.for_model(record)
        url = reverse(record_type.detail_url_name, args=[record.number]) if record_type else ""
        items.append({"prediction": row, "record": record, "url": url,
                      "reasons": explained(row.reasons)})  # fmt: skip
    return items


def explained(reasons: list[dict]) -> list[dict[str, Any]]:
    """The stored reasons with their features' labels, in the reader's language."""
    return [{**reason, "label": LABELS.get(reason["feature"], reason["feature"])}
            for reason in reasons]  # fmt: skip


def record_predictions(record) -> list[dict[str, Any]]:
    """The predictions of one record's open timers, with their reasons."""
    content_type = ContentType.objects.get_for_model(record)
    rows = BreachPrediction.objects.filter(content_type=content_type, object_id=record.pk)
    return [
        {
            "prediction": row,
            "metric": row.timer.get_metric_display(),
            "reasons": explained(row.reasons),
        }  # fmt: skip
        for row in rows.select_related("timer").order_by("-probability")
    ]


# --- Panels on other apps' pages (servicedesk/page_slots.py) ---------------------------------------


def record_panel_context(request, *, record) -> dict | None:
    """The record page's "Breach risk" card: staff only, and only once a model is in use."""
    if request is None or not _staff(request.user) or current_model() is None:
        return None
    rows = record_predictions(record)
    return {"breach_predictions": rows, "flag_at": flag_at()} if rows else None


def dashboard_panel_context(request) -> dict | None:
    """The SLA dashboard's "Predicted breaches": timers at or above the flag, the riskiest."""
    model = current_model()
    if request is None or model is None:
        return None
    items = likely_to_breach(user=request.user, limit=10, minimum=flag_at())
    flagged = BreachPrediction.objects.filter(probability__gte=flag_at()).count()
    return {"predicted": items, "predicted_count": flagged, "flag_at": flag_at(), "model": model}


def _staff(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(USE_WORKSPACE))


def workspace_link_context(request) -> dict | None:
    if request is None or not _staff(request.user):
        return None
    return {"likely_url": reverse("prediction:queue")}


def quality(model: BreachModel | None) -> dict[str, Any]:
    """The quality page's figures of one model, features labelled."""
    if model is None:
        return {}
    metrics = model.metrics or {}
    importance = [
        {**row, "label": LABELS.get(row["feature"], row["feature"])}
        for row in metrics.get("importance", [])
    ]
    return {"metrics": metrics, "importance": importance, "queue": metrics.get("queue", {})}
