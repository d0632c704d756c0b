"""Problems for tests, made through the services (numbered, prioritised, audited)."""

from django.db import transaction

from accounts.roles import Role
from problems import services
from problems.models import Problem
from tests.factories import UserFactory

ROOT_CAUSE = "<p>The VPN concentrator's certificate chain expired on the standby node.</p>"
WORKAROUND = "<p>Reconnect to vpn2.example.com until the chain is renewed.</p>"


def ProblemManagerFactory(**fields):  # noqa: N802  reads like the other factories
    return UserFactory(role=Role.PROBLEM_MANAGER, **fields)


def problem(*, actor=None, **fields) -> Problem:
    actor = actor or UserFactory(role=Role.AGENT)
    fields.setdefault("title", "VPN sessions drop every few minutes")
    fields.setdefault("impact", "medium")
    fields.setdefault("urgency", "high")
    with transaction.atomic():
        return services.problem_create(actor=actor, **fields)


def known_error(*, manager=None, **fields) -> Problem:
    """A problem brought to known error with a root cause and a workaround."""
    manager = manager or ProblemManagerFactory()
    fields.setdefault("root_cause", ROOT_CAUSE)
    fields.setdefault("workaround", WORKAROUND)
    created = problem(actor=manager, **fields)
    with transaction.atomic():
        return services.problem_transition(
            problem_id=created.pk, actor=manager, target="known_error"
        )
