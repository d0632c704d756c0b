"""Change management test data: people in their roles, the boards' members, a questionnaire,
and changes raised through the services."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from changes import services
from changes.models import BoardMembership, ChangeBoard, RiskAnswer, RiskQuestion
from tests.factories import SupportGroupFactory, UserFactory

PLANS = {
    "implementation_plan": "Stop the service, patch, start.",
    "backout_plan": "Restore the snapshot.",
    "test_plan": "Run the smoke tests.",
}


def window(days: int = 3, hours: int = 2):
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return {"planned_start": start, "planned_end": start + timedelta(hours=hours)}


def raise_change(actor, **fields):
    fields.setdefault("title", "Patch the database server")
    cis = fields.pop("configuration_items", ())
    with transaction.atomic():
        return services.change_create(actor=actor, fields=fields, configuration_items=cis)


def people():
    """A change manager, an owner (agent), three CAB members (two on call for the emergency CAB)."""
    manager = UserFactory(role=Role.CHANGE_MANAGER, full_name="Carla Changemanager")
    owner = UserFactory(role=Role.AGENT, full_name="Omar Owner")
    SupportGroupFactory(name="Database team").members.add(owner)
    cab = [UserFactory(role=Role.CAB_MEMBER, full_name=f"Cab Member {n}") for n in (1, 2, 3)]
    board = ChangeBoard.objects.get(kind="cab")
    emergency = ChangeBoard.objects.get(kind="emergency")
    for n, member in enumerate(cab):
        BoardMembership.objects.create(board=board, user=member)
        BoardMembership.objects.create(board=emergency, user=member, on_call=n < 2)
    return manager, owner, cab


def questionnaire():
    """Two questions: a low answer (weight 0/2) and a high one (weight 10/15)."""
    first = RiskQuestion.objects.create(text="Is the service down while it runs?", order=1)
    low1 = RiskAnswer.objects.create(question=first, text="No", weight=0)
    high1 = RiskAnswer.objects.create(question=first, text="Yes, for everyone", weight=10)
    second = RiskQuestion.objects.create(text="Has it been done before?", order=2)
    low2 = RiskAnswer.objects.create(question=second, text="Often", weight=2)
    high2 = RiskAnswer.objects.create(question=second, text="Never", weight=15)
    return {"low": {first.pk: low1.pk, second.pk: low2.pk},
            "high": {first.pk: high1.pk, second.pk: high2.pk}}  # fmt: skip
