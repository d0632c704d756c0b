"""The system actor automation acts as: made by a migration, unable to sign in, cached,
granted what automation needs, and named on the timeline."""

import pytest
from django.contrib.auth import authenticate
from django.template.loader import render_to_string
from django.test import RequestFactory

from accounts.models import User
from servicedesk.actors import (
    SYSTEM_ACTOR_EMAIL,
    ActorRequired,
    actor_required,
    is_system_actor,
    system_actor,
)
from servicedesk.selectors import record_timeline

pytestmark = pytest.mark.django_db


def test_the_migration_made_one_named_inactive_system_actor_without_a_password():
    actor = User.objects.get(email=SYSTEM_ACTOR_EMAIL)
    assert actor.full_name == "Service Desk automation"
    assert not actor.is_active and not actor.is_staff and not actor.is_superuser
    assert not actor.has_usable_password()
    assert system_actor() == actor
    assert is_system_actor(actor)


def test_nobody_signs_in_as_the_system_actor(client):
    request = RequestFactory().post("/accounts/login/")
    for password in (system_actor().password,):
        assert authenticate(request, username=SYSTEM_ACTOR_EMAIL, password=password) is None
    response = client.post(
        "/accounts/login/", {"username": SYSTEM_ACTOR_EMAIL, "password": "!"}, follow=False
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_system_actor_is_looked_up_once(django_assert_num_queries):
    system_actor()
    with django_assert_num_queries(0):
        assert system_actor().email == SYSTEM_ACTOR_EMAIL


def test_the_system_actor_may_work_records_but_not_administer(agent):
    actor = system_actor()
    for permission in ("incidents.work_incident", "catalogue.work_request",
                       "cmdb.change_configurationitem"):  # fmt: skip
        assert actor.has_perm(permission)
    assert not actor.has_perm("accounts.add_user")
    assert not actor.has_perm("sla.change_slapolicy")
    assert not agent.has_perm("cmdb.change_configurationitem")  # granted to it alone


def test_a_missing_actor_is_refused_with_a_message_that_says_what_to_pass():
    with pytest.raises(ActorRequired, match="system_actor()"):
        actor_required(None)
    actor_required(system_actor())


def test_the_timeline_names_the_system_actor(make_ticket, agent):
    ticket = make_ticket(actor=system_actor())
    html = render_to_string(
        "servicedesk/_timeline.html", {"timeline": record_timeline(record=ticket, user=agent)}
    )
    assert "Service Desk automation" in html
    assert ">System<" not in html


def test_comments_and_files_need_an_author(ticket):
    from servicedesk.models import Attachment, Comment
    from servicedesk.services import attachment_add, comment_add

    from .helpers import PDF_BYTES, upload

    with pytest.raises(ActorRequired):
        comment_add(record=ticket, author=None, body="From nowhere")
    with pytest.raises(ActorRequired):
        attachment_add(record=ticket, uploaded_by=None, file=upload("a.pdf", PDF_BYTES))
    assert not Comment.objects.exists() and not Attachment.objects.exists()
