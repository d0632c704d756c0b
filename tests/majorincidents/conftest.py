import pytest
from django.db import transaction

from accounts.models import SupportGroup
from accounts.roles import Role
from catalogue.models import Service
from incidents import services as incident_services
from tests.cmdb.factories import make_ci, relate


@pytest.fixture
def desk(make_user):
    """A database server behind the Payroll business service; two of payroll's users logged
    incidents on it lately; a major incident on the server, owned by an agent."""
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    group = SupportGroup.objects.create(name="Service Desk")
    group.members.add(agent)
    payroll = Service.objects.create(name="Payroll", support_group=group)
    mail = Service.objects.create(name="Mail", support_group=group)
    server = make_ci("DB-PAY-1")
    business = make_ci("BS Payroll", "business_service", service=payroll)
    relate(business, server)
    users = [
        make_user(Role.END_USER, email=f"user{i}@example.com", full_name=f"User {i}", language=lang)
        for i, lang in enumerate(["en", "fa"])
    ]
    outsider = make_user(Role.END_USER, email="other@example.com", full_name="Other Person")
    with transaction.atomic():
        for user in users:
            incident_services.incident_create(
                actor=user, title="Payslip missing", impact="low", urgency="low", service=payroll
            )
        incident_services.incident_create(
            actor=outsider, title="Mail slow", impact="low", urgency="low", service=mail
        )
        major = incident_services.incident_create(
            actor=agent,
            title="Payroll database down",
            impact="high",
            urgency="high",
            configuration_item=server,
            major_incident=True,
            support_group=group,
            assignee=agent,
        )
    return {
        "agent": agent,
        "group": group,
        "payroll": payroll,
        "mail": mail,
        "users": users,
        "outsider": outsider,
        "major": major,
    }
