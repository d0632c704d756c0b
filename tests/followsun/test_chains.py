"""Chains through the services, the admin and the API: checked whole, nothing half-saved; two
workers running the handover at the same instant hand over once (PostgreSQL)."""

import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import SupportGroup
from accounts.roles import Role
from followsun import services
from followsun.models import Chain, Desk, Handover, HandoverItem
from incidents import services as incidents
from incidents.models import Incident
from servicedesk.models import Comment

from .conftest import desk_calendar, utc


def test_a_chain_is_checked_whole_and_nothing_is_half_saved(globe):
    g = globe
    spare = SupportGroup.objects.create(name="Spare")
    calendar = desk_calendar("Spare hours", "Asia/Tokyo", 9, 17)
    with pytest.raises(ValidationError) as refused:
        services.chain_create(
            actor=g.admin, name="Round the globe", record_types=["incident", "nonsense"],
            priorities=[0], desks=[(g.groups["berlin"], calendar), (spare, calendar)],
        )  # fmt: skip
    errors = refused.value.message_dict
    assert set(errors) == {"name", "record_types", "priorities", "desks"}
    assert "Desk Berlin" in errors["desks"][0]
    with pytest.raises(ValidationError) as refused:
        services.chain_create(
            actor=g.admin, name="Asia", record_types=["incident"], desks=[(spare, calendar)]
        )
    assert "at least two desks" in refused.value.message_dict["desks"][0]
    assert Chain.objects.count() == 1 and Desk.objects.count() == 3


def test_a_chain_update_reorders_its_desks_and_keeps_their_handovers(globe):
    g = globe
    tehran = g.chain.desks.get(support_group=g.groups["tehran"])
    Handover.objects.create(desk=tehran, closed_at=utc(8, 12, 30))
    desks = [(d.support_group, d.calendar) for d in g.chain.desks.order_by("-position")]
    chain = services.chain_update(
        chain_id=g.chain.pk, actor=g.admin, version=g.chain.version, name="Reversed",
        record_types=["incident", "problem"], priorities=[], desks=desks,
    )  # fmt: skip
    assert chain.version == 2
    assert [d.support_group.name for d in chain.desks.order_by("position")] == [
        "Desk New York", "Desk Berlin", "Desk Tehran",
    ]  # fmt: skip
    assert tehran.handovers.count() == 1


def test_the_api_lists_creates_and_refuses_chains(globe, client, make_user):
    g = globe
    client.force_login(g.admin)
    listed = client.get("/api/v1/followsun/chains/").json()
    (row,) = listed["results"]
    assert [d["time_zone"] for d in row["desks"]] == [
        "Asia/Tehran", "Europe/Berlin", "America/New_York",
    ]  # fmt: skip
    one = SupportGroup.objects.create(name="Sydney")
    two = SupportGroup.objects.create(name="Tokyo")
    body = {
        "name": "Pacific", "record_types": ["problem"], "priorities": [1, 2],
        "desks": [
            {"support_group": one.pk, "calendar": desk_calendar("Syd", "Australia/Sydney", 9, 17).pk},
            {"support_group": two.pk, "calendar": desk_calendar("Tok", "Asia/Tokyo", 9, 17).pk},
        ],
    }  # fmt: skip
    made = client.post("/api/v1/followsun/chains/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert [d["support_group_name"] for d in made.json()["desks"]] == ["Sydney", "Tokyo"]
    again = client.post("/api/v1/followsun/chains/", body, content_type="application/json")
    assert again.status_code == 400
    assert "Another chain has this name." in again.json()["errors"]["name"]
    stale = client.put(
        f"/api/v1/followsun/chains/{made.json()['id']}/", {**body, "version": 7},
        content_type="application/json",
    )  # fmt: skip
    assert stale.status_code == 409
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    assert client.get("/api/v1/followsun/chains/").status_code == 200
    assert (
        client.post("/api/v1/followsun/chains/", body, content_type="application/json").status_code
        == 403
    )
    assert Chain.objects.count() == 2


def _admin_form(chain, *, name, order, delete=()):
    desks = list(chain.desks.order_by("position"))
    data = {
        "name": name, "record_types": chain.record_types, "priorities": ["1", "2"],
        "is_active": "on", "desks-TOTAL_FORMS": str(len(desks)),
        "desks-INITIAL_FORMS": str(len(desks)), "desks-MIN_NUM_FORMS": "2",
        "desks-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for n, desk in enumerate(desks):
        data |= {
            f"desks-{n}-id": str(desk.pk), f"desks-{n}-chain": str(chain.pk),
            f"desks-{n}-position": str(order[n]),
            f"desks-{n}-support_group": str(desk.support_group_id),
            f"desks-{n}-calendar": str(desk.calendar_id),
        }  # fmt: skip
        if n in delete:
            data[f"desks-{n}-DELETE"] = "on"
    return data


def test_the_admin_saves_a_chain_through_the_service(globe, client):
    g = globe
    g.admin.is_staff = True
    g.admin.save(update_fields=["is_staff"])
    client.force_login(g.admin)
    url = f"/admin/followsun/chain/{g.chain.pk}/change/"
    assert client.get(url).status_code == 200
    refused = client.post(url, _admin_form(g.chain, name="Two", order=[1, 2, 3], delete=(1, 2)))
    assert refused.status_code == 200
    assert "at least two desks" in refused.content.decode()
    assert Desk.objects.count() == 3
    saved = client.post(url, _admin_form(g.chain, name="Reordered", order=[3, 1, 2]))
    assert saved.status_code == 302, saved.content.decode()[:3000]
    chain = Chain.objects.get()
    assert (chain.name, chain.version, chain.priorities) == ("Reordered", 2, [1, 2])
    assert [d.support_group.name for d in chain.desks.order_by("position")] == [
        "Desk Berlin", "Desk New York", "Desk Tehran",
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_instant_hand_over_once(globe):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite locks the whole database")
    g = globe
    with time_machine.travel(utc(8, 5), tick=False):
        records = [
            incidents.incident_create(
                actor=g.admin,
                title=f"Mail {n}",
                impact="medium",
                urgency="medium",
                support_group=g.groups["tehran"],
            )  # fmt: skip
            for n in range(4)
        ]
    barrier = threading.Barrier(2)
    errors, made = [], []

    def work():
        try:
            barrier.wait()
            made.extend(services.handovers_due())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(utc(8, 12, 31), tick=False):
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert len(made) == 1 and Handover.objects.count() == 1
    assert HandoverItem.objects.count() == 4
    assert set(
        Incident.objects.filter(pk__in=[r.pk for r in records]).values_list(
            "support_group", flat=True
        )
    ) == {g.groups["berlin"].pk}
    assert Comment.objects.filter(object_id__in=[r.pk for r in records]).count() >= 4
