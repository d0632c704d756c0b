"""Beat tasks: retrain the breach model, rescore the open timers."""

from celery import shared_task

from prediction import services
from servicedesk.actors import system_actor


@shared_task(name="prediction.tasks.train_breach_model_task")
def train_breach_model_task() -> int:
    return services.model_train(actor=system_actor()).pk


@shared_task(name="prediction.tasks.refresh_breach_predictions_task")
def refresh_breach_predictions_task() -> int:
    return services.predictions_refresh()
