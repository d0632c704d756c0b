"""The chargeback report: orders at the offering's price and charging basis, billable time at
the hourly rate, one organisation and one month at a time."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from accounts.roles import Role
from catalogue.models import ChargingBasis, ServiceRequest
from tests.catalogue.factories import ItemFactory, OfferingFactory, ServiceFactory
from tests.factories import OrganisationFactory, UserFactory
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident
from timekeeping import selectors, services
from timekeeping.models import HourlyRate

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(settings.TIME_ZONE)
MARCH = datetime.date(2026, 3, 1)


def at(*args):
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def catalogue():
    service = ServiceFactory(name="Data centre")
    account = OfferingFactory(
        service=service,
        name="Network account",
        price=49,
        charging_basis=ChargingBasis.ACCOUNT_MONTH,
    )
    visit = OfferingFactory(
        service=ServiceFactory(name="On-site support"), name="Visit", price=100,
        charging_basis=ChargingBasis.VISIT,
    )  # fmt: skip
    free = OfferingFactory(service=service, name="Advice", price=0)
    return {"account": account, "visit": visit, "free": free}


_numbers = iter(range(1, 10_000))


def ordered(org, offering, *, closed_at, status="closed", quantity=None):
    requester = UserFactory(role=Role.END_USER, organisation=org)
    item = ItemFactory(service=offering.service, offering=offering)
    answers = {"quantity": {"label": "Quantity", "type": "number", "value": quantity}}
    return ServiceRequest.objects.create(
        number=f"REQ{9_000_000 + next(_numbers):07d}", title=offering.name, requester=requester,
        organisation=org, item=item, service=offering.service, offering=offering, status=status,
        closed_at=closed_at, answers=answers if quantity else {},
    )  # fmt: skip


def test_recurring_offerings_count_every_month_from_delivery_and_visits_once(catalogue):
    org = OrganisationFactory(name="Northwind")
    mid_february = ordered(org, catalogue["account"], closed_at=at(2026, 2, 17, 15))
    ordered(org, catalogue["account"], closed_at=at(2026, 3, 31, 23, 59), quantity=2)
    ordered(org, catalogue["account"], closed_at=at(2026, 4, 1, 0, 0))  # next month: not yet
    ordered(org, catalogue["visit"], closed_at=at(2026, 3, 1, 0, 0))  # the first instant
    ordered(org, catalogue["visit"], closed_at=at(2026, 2, 28, 23, 59))  # February's
    ordered(org, catalogue["visit"], closed_at=at(2026, 3, 10), status="rejected")
    ordered(org, catalogue["visit"], closed_at=at(2026, 3, 10), status="cancelled")
    ordered(org, catalogue["free"], closed_at=at(2026, 3, 10))
    report = selectors.chargeback(organisation=org, month=MARCH)
    lines = [(line.description, line.quantity, line.amount) for line in report.orders]
    assert lines == [
        ("Data centre: Network account", 1, Decimal("49.00")),  # ordered mid-February
        ("Data centre: Network account", 2, Decimal("98.00")),
        ("On-site support: Visit", 1, Decimal("100.00")),
    ]
    assert report.orders_total == Decimal("247.00")
    february = selectors.chargeback(organisation=org, month=datetime.date(2026, 2, 1))
    # Delivered on the 17th, February counts in full (no proration); February's visit once.
    assert [line.number for line in february.orders] == [
        mid_february.number,
        february.orders[1].number,
    ]
    assert february.orders_total == Decimal("149.00")


def test_billable_time_at_the_organisations_rate_else_the_groups(catalogue):
    org = OrganisationFactory(name="Northwind")
    agent = AgentFactory()
    network = SupportGroupFactory(members=[agent], name="Network")
    desk = SupportGroupFactory(name="Desk")
    desk.members.add(agent)
    on_network = incident(actor=agent, support_group=network, organisation=org)
    on_desk = incident(actor=agent, support_group=desk, organisation=org)
    services.hourly_rate_put(support_group=network, rate=Decimal("80"))
    services.hourly_rate_put(support_group=desk, rate=Decimal("40"))
    log = services.time_entry_add
    log(record=on_network, actor=agent, minutes=90, billable=True, worked_on=MARCH)
    log(
        record=on_network,
        actor=agent,
        minutes=45,
        billable=True,
        worked_on=datetime.date(2026, 3, 31),
    )
    log(
        record=on_network, actor=agent, minutes=600, billable=False, worked_on=MARCH
    )  # not billable
    log(
        record=on_network,
        actor=agent,
        minutes=60,
        billable=True,
        worked_on=datetime.date(2026, 2, 28),
    )
    log(
        record=on_desk, actor=agent, minutes=20, billable=True, worked_on=datetime.date(2026, 3, 15)
    )
    report = selectors.chargeback(organisation=org, month=MARCH)
    assert [
        (line.description, line.minutes, line.unit_price, line.amount) for line in report.time
    ] == [
        ("Desk", 20, Decimal("40"), Decimal("13.33")),
        ("Network", 135, Decimal("80"), Decimal("180.00")),
    ]
    assert report.billable_minutes == 155
    services.hourly_rate_put(organisation=org, rate=Decimal("60"))  # the contract's rate wins
    report = selectors.chargeback(organisation=org, month=MARCH)
    assert [line.amount for line in report.time] == [Decimal("20.00"), Decimal("135.00")]
    assert report.total == Decimal("155.00")


def test_an_organisations_report_shows_none_of_anothers(client, catalogue):
    northwind, contoso = OrganisationFactory(name="Northwind"), OrganisationFactory(name="Contoso")
    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent])
    theirs = incident(actor=agent, support_group=group, organisation=contoso)
    services.time_entry_add(record=theirs, actor=agent, minutes=60, billable=True, worked_on=MARCH)
    ordered(contoso, catalogue["visit"], closed_at=at(2026, 3, 5))
    mine = ordered(northwind, catalogue["visit"], closed_at=at(2026, 3, 6))
    report = selectors.chargeback(organisation=northwind, month=MARCH)
    assert [line.number for line in report.orders] == [mine.number] and report.time == []
    client.force_login(UserFactory(role=Role.DESK_MANAGER))
    page = client.get("/time/chargeback/", {"organisation": northwind.pk, "month": "2026-03"})
    report_part = page.content.decode().split('data-test="chargeback-orders"')[1]
    assert page.status_code == 200 and mine.number in report_part
    assert "Contoso" not in report_part and "No billable time this month." in report_part
    assert 'data-test="chargeback-total">100.00<' in report_part
    csv = client.get(
        "/time/chargeback/", {"organisation": northwind.pk, "month": "2026-03", "format": "csv"}
    )
    rows = csv.content.decode("utf-8-sig").strip().splitlines()
    assert rows[0].startswith("Organisation,Month,Kind,Record")
    assert rows[1].startswith(f"Northwind,2026-03,order,{mine.number},On-site support: Visit")
    assert rows[-1] == "Northwind,2026-03,total,,Total,,,,100.00,"
    assert len(rows) == 3


def test_the_report_is_for_managers_and_checks_its_month(client):
    org = OrganisationFactory()
    client.force_login(AgentFactory())
    assert client.get("/time/chargeback/").status_code == 403
    assert client.get("/time/").status_code == 403
    client.force_login(UserFactory(role=Role.DESK_MANAGER))
    bad = client.get("/time/chargeback/", {"organisation": org.pk, "month": "2026-13"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.content.decode()


def test_hourly_rates_belong_to_one_owner():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.hourly_rate_put(rate=Decimal("10"))
    assert not HourlyRate.objects.exists()


def test_time_per_service_organisation_and_category(client):
    from tests.incidents.factories import CategoryFactory
    from tests.incidents.factories import ServiceFactory as IncidentService

    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent], name="Network")
    northwind = OrganisationFactory(name="Northwind")
    email = IncidentService(name="E-mail")
    category = CategoryFactory(name="Hardware")
    one = incident(actor=agent, support_group=group, organisation=northwind, service=email,
                   category=category)  # fmt: skip
    two = incident(actor=agent, support_group=group)
    services.time_entry_add(record=one, actor=agent, minutes=30, billable=True, worked_on=MARCH)
    services.time_entry_add(record=two, actor=agent, minutes=10, worked_on=MARCH)
    services.time_entry_add(
        record=two, actor=agent, minutes=99, worked_on=datetime.date(2026, 4, 1)
    )
    end = datetime.date(2026, 3, 31)
    by_service = selectors.time_by("service", start=MARCH, end=end)
    assert [(r["label"], r["minutes"], r["billable"]) for r in by_service] == [
        ("E-mail", 30, 30), ("None", 10, 0),
    ]  # fmt: skip
    by_organisation = selectors.time_by("organisation", start=MARCH, end=end)
    assert [(r["label"], r["minutes"]) for r in by_organisation][0] == ("Northwind", 30)
    assert selectors.time_by("category", start=MARCH, end=end)[0]["label"] == "Hardware"
    client.force_login(UserFactory(role=Role.DESK_MANAGER))
    page = client.get("/time/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200 and "E-mail" in page.content.decode()
    csv = client.get("/time/", {"start": "2026-03-01", "end": "2026-03-31", "format": "csv"})
    assert "service,E-mail,0.50,0.50,1" in csv.content.decode("utf-8-sig")
