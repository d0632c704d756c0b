"""Comment extras (servicedesk/pages.py): fields an app adds to every record page's reply box,
checked with the comment form and saved with the comment in one transaction."""

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import RequestFactory

from accounts.roles import Role
from servicedesk import pages
from servicedesk import services as kernel
from servicedesk.models import Comment
from tests.factories import SupportGroupFactory
from tests.kernel.models import Ticket

pytestmark = pytest.mark.django_db
SAVED: list = []


class MoodForm(forms.Form):
    prefix = "mood"
    mood = forms.ChoiceField(
        choices=[("", "-"), ("ok", "ok"), ("refuse", "refuse")], required=False
    )

    def __init__(self, data=None, *, record, user):
        super().__init__(data)

    def save(self, *, comment, record, actor):
        if self.cleaned_data["mood"] == "refuse":
            raise ValidationError("Refused after the comment was written.")
        SAVED.append((comment.pk, record.pk, actor.pk))


@pytest.fixture
def extras(monkeypatch):
    monkeypatch.setattr(pages, "COMMENT_EXTRAS", [])
    pages.register_comment_extra(f"{__name__}.MoodForm")
    pages.register_comment_extra(f"{__name__}.MoodForm")  # once
    assert [f"{__name__}.MoodForm"] == pages.COMMENT_EXTRAS
    SAVED.clear()


@pytest.fixture
def setting(make_user):
    worker = make_user(Role.AGENT)
    worker.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    worker = type(worker).objects.get(pk=worker.pk)
    group = SupportGroupFactory()
    group.members.add(worker)
    with transaction.atomic():
        ticket = kernel.record_create(
            model=Ticket, actor=worker, fields={"title": "Door", "requester": worker,
                                                "support_group": group},
        )  # fmt: skip
    return worker, ticket


def _posted(worker, data):
    request = RequestFactory().post("/", data)
    request.user = worker
    return request


def _comment(worker, ticket):
    return lambda: kernel.record_comment(
        model=Ticket, record_id=ticket.pk, actor=worker, body="Fixed", visibility="internal"
    )


def test_the_extras_are_saved_with_the_comment(extras, setting):
    worker, ticket = setting
    request = _posted(worker, {"mood-mood": "ok"})
    found = pages.comment_extras(request, ticket)
    assert found.is_valid()
    comment = found.saving(_comment(worker, ticket))()
    assert [(comment.pk, ticket.pk, worker.pk)] == SAVED
    assert pages.comment_extra_form(request, MoodForm, record=ticket) is found.forms[0]


def test_a_refused_extra_leaves_no_comment(extras, setting):
    worker, ticket = setting
    found = pages.comment_extras(_posted(worker, {"mood-mood": "refuse"}), ticket)
    assert found.is_valid()
    with pytest.raises(ValidationError):
        found.saving(_comment(worker, ticket))()
    assert not Comment.objects.exists() and SAVED == []


def test_an_invalid_extra_is_reported_before_anything_is_written(extras, setting):
    worker, ticket = setting
    found = pages.comment_extras(_posted(worker, {"mood-mood": "nonsense"}), ticket)
    assert not found.is_valid() and "mood" in found.forms[0].errors
