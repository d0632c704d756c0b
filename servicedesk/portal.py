"""Pieces every record type's self-service portal pages share: the portal's permission gate,
finding one of the person's own records (through the record type's `visible_to` selector, 404 for
anyone else's), the reply and rating forms and the rating shown.

The portal app (layout, home, search, "my records") and each record app's own portal pages
(incidents/portal/, catalogue/portal/) build on these, so no record app imports the portal app's
views and the portal imports no record app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import USE_PORTAL
from servicedesk import registry
from servicedesk.models import SatisfactionRating
from servicedesk.scoping import sees_organisation_records
from servicedesk.workflow import Meaning

if TYPE_CHECKING:
    from servicedesk.registry import RecordType


def portal_view(view):
    """Signed in, with the portal's permission (403 without it)."""
    return login_required(permission_required(USE_PORTAL, raise_exception=True)(view))


def requester_records(*, user, record_type: RecordType, organisation: bool = False):
    """The person's own records of one type, among those its `visible_to` selector lets them see
    (the portal shows one's own records, whoever else one may see as staff), newest first.

    With `organisation`, also their organisation's, when scoped visibility lets them see those
    (a team lead at the customer: servicedesk/scoping.py); the same as their own otherwise.
    """
    rows = record_type.visible(user)
    if not (organisation and sees_organisation_records(user)):
        rows = rows.filter(requester=user)
    return rows.order_by("-created_at", "-id")


def unfinished_statuses(record_type: RecordType) -> list[str]:
    """The states the portal lists as "open": every state the workflow can still leave (a
    resolved incident waits for its requester's confirmation)."""
    workflow = record_type.workflow
    return [state for state in workflow.states if not workflow.is_final(state)]


def requester_record(*, user, number: str, record_type: RecordType | None = None):
    """(record type, record): one of the person's own records that the portal shows, found by its
    number (the prefix names its type, unless `record_type` is given).

    ObjectDoesNotExist when there is none, the type is not shown in the portal, or the record is
    someone else's or hidden from them.
    """
    record_type = record_type or registry.for_number(number)
    if (
        record_type is None
        or not record_type.in_portal
        or not number.startswith(record_type.prefix)
    ):
        raise ObjectDoesNotExist(number)
    rows = requester_records(user=user, record_type=record_type, organisation=True)
    return record_type, rows.get(number=number)


def requester_record_or_404(*, user, number: str, record_type: RecordType | None = None):
    """The record of `requester_record`, or a 404 naming nothing about it."""
    try:
        return requester_record(user=user, number=number, record_type=record_type)[1]
    except ObjectDoesNotExist:
        raise Http404(gettext("No record with this number.")) from None


def rating_of(record) -> SatisfactionRating | None:
    """The requester's rating of the record, if given."""
    return SatisfactionRating.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).first()


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("Attach a file"), required=False)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How did we do?"),
        coerce=int,
        choices=[(5, _("5 - Very satisfied")), (4, _("4 - Satisfied")), (3, _("3 - Neutral")),
                 (2, _("2 - Dissatisfied")), (1, _("1 - Very dissatisfied"))],
        widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Anything to add?"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def rating_context(record) -> dict:
    """What the portal's rating block (portal/_rating.html) needs, for a record page."""
    rating = rating_of(record)
    return {
        "rating": rating,
        "rating_form": RatingForm(initial={"score": rating.score} if rating else None),
        "can_rate": type(record).WORKFLOW.meaning(record.status) == Meaning.RESOLVED,
    }


def error_text(error) -> str:
    """A service's error as one line for a page's message."""
    return " ".join(getattr(error, "messages", None) or [str(getattr(error, "message", error))])
