"""The "likely to breach" queue (agents) and the model's quality page (administrators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prediction import selectors, services
from servicedesk.pages import staff_view

QUEUE_SIZE = 100


@staff_view
def queue(request):
    model = selectors.current_model()
    items = selectors.likely_to_breach(user=request.user, limit=QUEUE_SIZE) if model else []
    return render(
        request,
        "prediction/queue.html",
        {"model": model, "items": items, "flag_at": selectors.flag_at(), "size": QUEUE_SIZE},
    )


@login_required
@permission_required(selectors.QUALITY_PERMISSION, raise_exception=True)
def quality(request):
    model = selectors.current_model()
    latest = services.BreachModel.objects.first()
    return render(
        request,
        "prediction/quality.html",
        {
            "model": model,
            "latest": latest,
            **selectors.quality(model),
            "flag_at": selectors.flag_at(),
        },  # fmt: skip
    )


@require_POST
@login_required
@permission_required("prediction.add_breachmodel", raise_exception=True)
def retrain(request):
    row = services.model_train(actor=request.user)
    if row.usable:
        services.predictions_refresh()
        messages.success(request, _("The model was retrained and the open timers scored."))
    else:
        messages.warning(
            request, _("Not enough history to predict yet: %(note)s") % {"note": row.note}
        )
    return redirect("prediction:quality")
