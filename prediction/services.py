"""Training the breach model, measuring it on the held-out recent period, and scoring the open
SLA timers (docs/prediction.md).

`model_train` and `predictions_refresh` are the only writes; the beat calls them through
prediction/tasks.py, an administrator through the quality page's "Retrain now".
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import brier_score_loss, roc_auc_score

from prediction import features as f
from prediction.models import BreachModel, BreachPrediction
from prediction.selectors import current_model
from servicedesk.actors import actor_required
from servicedesk.bulk import insert_rows
from sla.models import SlaTimer, TimerState
from sla.services import escalate_predicted

logger = logging.getLogger(__name__)

RULE_SECONDS = 2 * 3600  # the naive rule the model is measured against: due within 2 h
UNSEEN = 254  # category code of a value the training never saw


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- Categories --------------------------------------------------------------------------------


def _vocabularies(x: np.ndarray) -> dict[int, dict[float, int]]:
    """For each categorical column, the codes of its most frequent values (HistGradientBoosting
    takes categories as small integers)."""
    vocabularies = {}
    for column, categorical in enumerate(f.CATEGORICAL):
        if not categorical:
            continue
        values, counts = np.unique(x[~np.isnan(x[:, column]), column], return_counts=True)
        top = values[np.argsort(-counts)][:UNSEEN]
        vocabularies[column] = {float(v): code for code, v in enumerate(sorted(top))}
    return vocabularies


def _encode(x: np.ndarray, vocabularies: dict[int, dict[float, int]]) -> np.ndarray:
    """Categories as their codes; a number not known (no assignee, no CI field) as -1."""
    x = x.copy()
    numeric = ~np.array(f.CATEGORICAL)
    x[:, numeric] = np.where(np.isnan(x[:, numeric]), -1.0, x[:, numeric])
    for column, codes in vocabularies.items():
        raw = x[:, column]
        known = np.array(sorted(codes), dtype=np.float64)
        coded = np.full(len(raw), float(UNSEEN))
        if len(known):
            at = np.minimum(np.searchsorted(known, raw), len(known) - 1)
            found = known[at] == raw
            coded[found] = np.array([codes[v] for v in known.tolist()])[at[found]]
        x[:, column] = np.where(np.isnan(raw), np.nan, coded)
    return x


# --- Training ----------------------------------------------------------------------------------


def _snapshots(history: f.History, index: np.ndarray, per_timer: int, rng) -> tuple:
    """`per_timer` random moments of each timer while it ran and before it was due: what an
    agent could have been told then. Never at or after the breach or the stop."""
    start = history.started[index]
    end = np.minimum(
        np.minimum(history.stopped[index], history.due[index]), history.breached[index]
    )
    keep = end > start
    index, start, end = index[keep], start[keep], end[keep]
    timers = np.repeat(index, per_timer)
    moments = np.repeat(start, per_timer) + rng.random(len(timers)) * np.repeat(
        end - start, per_timer
    )
    return timers, moments


def _classifier():
    """Gradient boosting with native categories; with `PREDICTION_CALIBRATION` ("isotonic" or
    "sigmoid") its probabilities are calibrated on 3-fold out-of-fold predictions (one model
    in use, the calibration map over it)."""
    boosting = HistGradientBoostingClassifier(
        categorical_features=np.array(f.CATEGORICAL),
        max_iter=_setting("PREDICTION_ITERATIONS", 200),
        learning_rate=0.1,
        early_stopping=False,
        random_state=0,
    )
    method = _setting("PREDICTION_CALIBRATION", "")
    if not method:
        return boosting
    return CalibratedClassifierCV(boosting, method=method, cv=3, ensemble=False)


def _fit(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """A fitted bundle: the classifier, its category codes and a reference row (each number's
    median, each category unknown), from which the reasons of a prediction are measured."""
    vocabularies = _vocabularies(x)
    encoded = _encode(x, vocabularies)
    model = _classifier().fit(encoded, y)
    reference = np.median(encoded, axis=0)
    alternatives = {}
    for column in vocabularies:
        values, counts = np.unique(
            encoded[~np.isnan(encoded[:, column]), column], return_counts=True
        )
        alternatives[column] = values[np.argsort(-counts)][:5].tolist()
    return {"model": model, "vocabularies": vocabularies, "reference": reference,
            "alternatives": alternatives, "features": f.NAMES}  # fmt: skip


def predict(bundle: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The probability of breach of each row of raw features."""
    if not len(x):
        return np.zeros(0)
    return bundle["model"].predict_proba(_encode(x, bundle["vocabularies"]))[:, 1]


def reasons(bundle: dict[str, Any], x: np.ndarray, probability: np.ndarray, top: int = 3):
    """For each row, the features that raise its probability most: how much lower it would be
    with that feature at its usual value (a number at its median, a category averaged over its
    five most common values). Every changed copy of the rows goes to the model in one call."""
    encoded = _encode(x, bundle["vocabularies"])
    n, width = encoded.shape
    variants = [
        (column, value)
        for column in range(width)
        for value in bundle["alternatives"].get(column, [bundle["reference"][column]])
    ]  # a category the history never had has no alternatives: it cannot be a reason
    effects = np.zeros_like(encoded)
    if n and variants:
        changed = np.tile(encoded, (len(variants), 1))
        for k, (column, value) in enumerate(variants):
            changed[k * n : (k + 1) * n, column] = value
        usual = bundle["model"].predict_proba(changed)[:, 1].reshape(len(variants), n)
        for column in range(width):
            mine = [k for k, (c, _value) in enumerate(variants) if c == column]
            if mine:
                effects[:, column] = probability - usual[mine].mean(axis=0)
    result = []
    for i in range(n):
        order = np.argsort(-effects[i])[:top]
        result.append(
            [
                {
                    "feature": f.NAMES[c],
                    "value": _shown(c, x[i, c]),
                    "effect": round(float(effects[i, c]), 3),
                }  # fmt: skip
                for c in order
                if effects[i, c] > 0.01
            ]
        )
    return result


def _shown(column: int, value: float):
    if value != value:  # NaN: not set
        return None
    return round(float(value), 2)


def _metrics(y: np.ndarray, p: np.ndarray, rule: np.ndarray) -> dict[str, Any]:
    """AUC, Brier score and calibration of the model; AUC, precision and recall of the rule."""
    flag = _setting("PREDICTION_FLAG_AT", 0.5)
    two_classes = len(np.unique(y)) == 2
    bins = []
    edges = np.linspace(0, 1, 11)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (p >= low) & ((p < high) | (high == 1))
        if inside.any():
            bins.append({"from": round(float(low), 1), "to": round(float(high), 1),
                         "rows": int(inside.sum()), "predicted": round(float(p[inside].mean()), 3),
                         "observed": round(float(y[inside].mean()), 3)})  # fmt: skip
    return {
        "auc": float(roc_auc_score(y, p)) if two_classes else None,
        "baseline_auc": float(roc_auc_score(y, rule)) if two_classes else None,
        "brier": float(brier_score_loss(y, p)),
        "calibration": bins,
        "model_flag": _precision_recall(y, p >= flag),
        "rule_flag": _precision_recall(y, rule.astype(bool)),
        "flag_at": flag,
    }


def _precision_recall(y: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    hits = int((flagged & (y == 1)).sum())
    return {
        "flagged": int(flagged.sum()),
        "precision": round(hits / flagged.sum(), 3) if flagged.sum() else None,
        "recall": round(hits / (y == 1).sum(), 3) if (y == 1).sum() else None,
    }


LEAD_BUCKETS = [(0, 1), (1, 4), (4, 24), (24, None)]  # hours before the breach


def _queue_evaluation(history: f.History, bundle, test_from: float, until: float, known):
    """The "likely to breach" queue replayed on the held-out period: at moments `step` hours
    apart, the timers running then, ranked by the model and by the 2 h rule. Precision of the
    top 50 of each, and for each breach the earliest moment it was flagged (lead time)."""
    step = _setting("PREDICTION_EVAL_STEP_HOURS", 4) * 3600
    flag = _setting("PREDICTION_FLAG_AT", 0.5)
    top = 50
    model_hits, rule_hits, moments_used = [], [], 0
    first_model: dict[int, float] = {}
    first_rule: dict[int, float] = {}
    y = f.labels(history)
    moment = test_from
    while moment < until:
        index = f.open_at(history, moment)
        index = index[known[index]]
        if len(index):
            moments = np.full(len(index), moment)
            p = predict(bundle, f.rows(history, index, moments))
            left = history.due[index] - moment
            ranked = index[np.argsort(-p, kind="stable")][:top]
            model_hits.append(float(y[ranked].mean()))
            by_due = np.argsort(left, kind="stable")
            flagged_rule = index[by_due][left[by_due] <= RULE_SECONDS][:top]
            if len(flagged_rule):
                rule_hits.append(float(y[flagged_rule].mean()))
            for j in index[p >= flag]:
                first_model.setdefault(int(j), moment)
            for j in index[left <= RULE_SECONDS]:
                first_rule.setdefault(int(j), moment)
            moments_used += 1
        moment += step
    breaches = [
        int(j)
        for j in np.nonzero(y == 1)[0]
        if test_from <= history.started[j] < until and known[j]
    ]
    return {
        "moments": moments_used,
        "step_hours": step / 3600,
        "precision_top50": round(float(np.mean(model_hits)), 3) if model_hits else None,
        "rule_precision_top50": round(float(np.mean(rule_hits)), 3) if rule_hits else None,
        "breaches": len(breaches),
        "lead_model": _lead_table(history, breaches, first_model),
        "lead_rule": _lead_table(history, breaches, first_rule),
    }


def _lead_table(history: f.History, breaches: list[int], first: dict[int, float]) -> list[dict]:
    counts = [0] * (len(LEAD_BUCKETS) + 1)
    for j in breaches:
        if j not in first:
            counts[-1] += 1
            continue
        hours = (min(history.due[j], history.breached[j]) - first[j]) / 3600
        for b, (low, high) in enumerate(LEAD_BUCKETS):
            if hours >= low and (high is None or hours < high):
                counts[b] += 1
                break
    labels = [f"{low}-{high} h" if high else f"{low} h +" for low, high in LEAD_BUCKETS]
    return [{"bucket": b, "breaches": c} for b, c in zip([*labels, "never"], counts, strict=True)]


def _importance(bundle, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Permutation importance on (a sample of) the held-out rows: the AUC lost when a feature's
    values are shuffled."""
    if len(np.unique(y)) < 2:
        return []
    rng = np.random.default_rng(1)
    sample = rng.choice(len(x), size=min(len(x), 5000), replace=False)
    result = permutation_importance(
        bundle["model"], _encode(x[sample], bundle["vocabularies"]), y[sample],
        scoring="roc_auc", n_repeats=3, random_state=0,
    )  # fmt: skip
    order = np.argsort(-result.importances_mean)
    return [{"feature": f.NAMES[c], "importance": round(float(result.importances_mean[c]), 4)}
            for c in order]  # fmt: skip


def model_train(*, actor, now: datetime | None = None) -> BreachModel:
    """Train a model on the closed history and measure it on the most recent period.

    Training rows are snapshots of timers whose outcome was known before the held-out period
    began (`PREDICTION_TEST_DAYS` before now); the test rows are snapshots of the timers that
    started within it. The model put to use is then fitted on every snapshot. With fewer than
    `PREDICTION_MIN_HISTORY` closed timers, or a period without both outcomes, the row is saved
    as not usable (with why) and no prediction is shown. Writes the model file (joblib, in
    `PREDICTION_DIR`) and its BreachModel row; returns the row.
    """
    actor_required(actor)
    began = time.monotonic()
    now = now or timezone.now()
    since = now - timedelta(days=_setting("PREDICTION_TRAINING_DAYS", 365))
    # An imported outcome kept as recorded (`source`) has no clock to learn from.
    timers = SlaTimer.objects.filter(started_at__gte=since, started_at__lt=now, source="").exclude(
        state=TimerState.CANCELLED
    )
    history = f.load(timers)
    known = f.known_outcome(history)
    row = BreachModel(trained_at=now, history=int(known.sum()))
    needed = _setting("PREDICTION_MIN_HISTORY", 500)
    if row.history < needed:
        row.note = f"{row.history} closed timers, {needed} needed"
        return _saved(row, began)
    test_from = now - timedelta(days=_setting("PREDICTION_TEST_DAYS", 30))
    cut, end = test_from.timestamp(), now.timestamp()
    outcome_at = np.minimum(np.minimum(history.stopped, history.breached), end)
    train = np.nonzero(known & (outcome_at < cut))[0]
    test = np.nonzero(known & (history.started >= cut))[0]
    y_all = f.labels(history)
    if len(np.unique(y_all[train])) < 2 or len(np.unique(y_all[test])) < 2:
        row.note = "the history needs both breached and met timers before and in the test period"
        return _saved(row, began)
    rng = np.random.default_rng(0)
    per_timer = _setting("PREDICTION_SNAPSHOTS", 3)
    train = _cap(train, rng)
    train_timers, train_moments = _snapshots(history, train, per_timer, rng)
    test_timers, test_moments = _snapshots(history, test, per_timer, rng)
    x_train = f.rows(history, train_timers, train_moments)
    x_test = f.rows(history, test_timers, test_moments)
    y_train, y_test = y_all[train_timers], y_all[test_timers]
    held_out = _fit(x_train, y_train)
    p = predict(held_out, x_test)
    rule = (history.due[test_timers] - test_moments <= RULE_SECONDS).astype(float)
    metrics = _metrics(y_test, p, rule)
    metrics["queue"] = _queue_evaluation(history, held_out, cut, end, known)
    metrics["importance"] = _importance(held_out, x_test, y_test)
    bundle = _fit(np.vstack([x_train, x_test]), np.concatenate([y_train, y_test]))
    row.usable = True
    row.training_rows, row.test_rows = len(y_train), len(y_test)
    row.test_from, row.test_until = test_from, now
    row.breach_rate = float(y_test.mean())
    row.auc, row.baseline_auc, row.brier = metrics["auc"], metrics["baseline_auc"], metrics["brier"]
    row.metrics = metrics
    row = _saved(row, began)
    directory = Path(_setting("PREDICTION_DIR", settings.DATA_DIR / "models"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"breach-{row.pk}.joblib"
    joblib.dump(bundle, path)
    row.path = str(path)
    row.save(update_fields=["path"])
    _BUNDLES.clear()
    return row


def _cap(index: np.ndarray, rng) -> np.ndarray:
    """At most PREDICTION_MAX_TIMERS training timers, the most recent kept (the desk changes)."""
    cap = _setting("PREDICTION_MAX_TIMERS", 150_000)
    return index[-cap:] if len(index) > cap else index


def _saved(row: BreachModel, began: float) -> BreachModel:
    row.seconds = round(time.monotonic() - began, 2)
    row.save()
    return row


# --- Scoring -----------------------------------------------------------------------------------

_BUNDLES: dict[str, dict] = {}


def bundle_of(model: BreachModel) -> dict[str, Any] | None:
    """The fitted model of a row, loaded once per process (None if its file is gone)."""
    if model.path not in _BUNDLES:
        try:
            _BUNDLES[model.path] = joblib.load(model.path)  # noqa: S301 - our own file
        except (OSError, EOFError):
            logger.warning("breach model file %s cannot be read", model.path)
            return None
    return _BUNDLES[model.path]


def score_open(
    *, now: datetime | None = None, timings: dict[str, float] | None = None
) -> tuple[BreachModel | None, Any, np.ndarray]:
    """The probability of breach of every open timer not yet breached, at `now`: the model,
    the timers' history and their probabilities (nothing written). `timings`, when given,
    gets the seconds of each step (load, features, predict)."""
    now = now or timezone.now()
    clock = _Stopwatch(timings)
    model = current_model()
    bundle = bundle_of(model) if model else None
    if model is None or bundle is None:
        return None, None, np.zeros(0)
    timers = SlaTimer.objects.filter(
        state__in=[TimerState.RUNNING, TimerState.PAUSED], breached_at__isnull=True
    )
    history = f.load(timers)
    clock.lap("load")
    index = np.arange(len(history))
    x = f.rows(history, index, np.full(len(index), now.timestamp()))
    clock.lap("features")
    p = predict(bundle, x)
    clock.lap("predict")
    return model, (history, x), p


class _Stopwatch:
    """Seconds per step into a dict (or nowhere)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[step] = self.timings.get(step, 0.0) + now - self.last
        self.last = now


def predictions_refresh(
    *, now: datetime | None = None, timings: dict[str, float] | None = None
) -> int:
    """Score the open timers and store each one's probability, replacing the previous scoring
    in one transaction (a DELETE and one multi-row INSERT); the main reasons are kept for the
    `PREDICTION_REASONS_TOP` riskiest at `PREDICTION_REASONS_FROM` or more (the ones the queue
    and the dashboard show first: working them out costs a model call per feature value).
    Then the escalation rules on a predicted probability fire
    (`sla.services.escalate_predicted`). Without a usable model every prediction is removed.
    Returns the number of timers scored; `timings`, when given, gets the seconds of each step
    (load, features, predict, reasons, write, escalate)."""
    now = now or timezone.now()
    model, scored, p = score_open(now=now, timings=timings)
    if model is None:
        BreachPrediction.objects.all().delete()
        return 0
    clock = _Stopwatch(timings)
    history, x = scored
    bundle = bundle_of(model)
    assert bundle is not None  # noqa: S101 - score_open returned a model with its bundle
    riskiest = np.argsort(-p, kind="stable")[: _setting("PREDICTION_REASONS_TOP", 1000)]
    explained = riskiest[p[riskiest] >= _setting("PREDICTION_REASONS_FROM", 0.2)]
    why = dict(zip(explained.tolist(), reasons(bundle, x[explained], p[explained]), strict=True))
    clock.lap("reasons")
    timer_ids, content_types = history.timer_id.tolist(), history.content_type.tolist()
    object_ids, rounded = history.object_id.tolist(), np.round(p, 4).tolist()
    rows = [
        {
            "timer_id": timer_ids[i],
            "content_type_id": content_types[i],
            "object_id": object_ids[i],
            "probability": rounded[i],
            "reasons": why.get(i, []),
            "model_id": model.pk,
            "predicted_at": now,
        }  # fmt: skip
        for i in range(len(history))
    ]
    with transaction.atomic():
        BreachPrediction.objects.all().delete()
        insert_rows(BreachPrediction, rows)
    clock.lap("write")
    escalate_predicted(probabilities=dict(zip(timer_ids, p.tolist(), strict=True)), now=now)
    clock.lap("escalate")
    return len(rows)
