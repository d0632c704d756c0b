"""Reads: the canned responses and macros a person may use, a response rendered for a record,
a record's tags, and the panels' contexts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.urls import reverse

from accounts.models import SupportGroup
from accounts.roles import can_see_internal
from replies.models import CannedResponse, CannedText, Macro, Tag, TaggedRecord, normalise_tag
from replies.placeholders import fill, values_for
from servicedesk import registry
from sla.models import TimerState
from sla.selectors import open_timers_of


def _groups_of(user) -> QuerySet:
    return SupportGroup.objects.filter(Q(members=user) | Q(lead=user)).values("pk")


def _usable(queryset: QuerySet, user) -> QuerySet:
    """Active, and the person's own, shared with one of their groups, or everyone's."""
    return queryset.filter(is_active=True).filter(
        Q(owner=user)
        | Q(support_group__in=_groups_of(user))
        | Q(owner__isnull=True, support_group__isnull=True)
    )


def responses_for(user) -> QuerySet[CannedResponse]:
    return _usable(CannedResponse.objects.all(), user).prefetch_related("texts")


def _managed(user) -> Q:
    """The person's own and their groups' (everyone's are the administrator's, in the admin)."""
    return Q(owner=user) | Q(support_group__in=_groups_of(user))


def responses_managed_by(user) -> QuerySet[CannedResponse]:
    """What the agents' page lists and lets the person change."""
    return (
        CannedResponse.objects.filter(_managed(user))
        .select_related("support_group", "owner")
        .prefetch_related("texts")
    )


def macros_managed_by(user) -> QuerySet[Macro]:
    """The macros the person may change on the agents' page."""
    return Macro.objects.filter(_managed(user))


def macros_listed(user) -> list[Macro]:
    """The agents' macros page: their own and their groups' (active or not, `editable`), and
    everyone's active ones (read only); each with `type_name` and `status_name` to show."""
    macros: list[Any] = list(  # each row gets its labels below
        Macro.objects.filter(_managed(user) | Q(owner__isnull=True, support_group__isnull=True,
                                                 is_active=True))
        .annotate(editable=ExpressionWrapper(_managed(user), output_field=BooleanField()))
        .select_related("support_group", "assign_group", "response")
    )  # fmt: skip
    types = {t.key: t for t in registry.all_types()}
    for macro in macros:
        chosen = [types[macro.record_type]] if macro.record_type in types else types.values()
        macro.type_name = types[macro.record_type].name if macro.record_type in types else ""
        labels = (t.workflow.labels.get(macro.status) for t in chosen if macro.status)
        macro.status_name = next((label for label in labels if label), macro.status)
    return macros


def response_get(*, user, pk: int) -> CannedResponse:
    """One response the person may use (DoesNotExist, a 404, otherwise)."""
    return responses_for(user).get(pk=pk)


def macros_for(user, *, record_type: str | None = None) -> QuerySet[Macro]:
    macros = _usable(Macro.objects.all(), user)
    if record_type is not None:
        macros = macros.filter(record_type__in=("", record_type))
    return macros.select_related("response")


def macro_get(*, user, pk: int) -> Macro:
    return macros_for(user).get(pk=pk)


def text_in(response: CannedResponse, language: str) -> CannedText | None:
    """The text in `language`, else the site's language, else the first one written."""
    texts = {text.language: text for text in response.texts.all()}
    for wanted in (language, settings.LANGUAGE_CODE):
        if wanted in texts:
            return texts[wanted]
    return next(iter(texts.values()), None)


def _running_due_at(record):
    """The soonest due time of the record's running SLA clocks (None when none runs)."""
    due = [t.due_at for t in open_timers_of(record) if t.state == TimerState.RUNNING and t.due_at]
    return min(due) if due else None


def rendered_responses(*, user, record) -> list[dict]:
    """Every response the person may use, filled in for this record in its requester's
    language (the site's when there is no translation): [{id, name, language, text}]."""
    language = getattr(record.requester, "language", "") or settings.LANGUAGE_CODE
    responses = list(responses_for(user))
    if not responses:
        return []
    values = values_for(record, agent=user, language=language, due_at=_running_due_at(record))
    rows = []
    for response in responses:
        text = text_in(response, language)
        if text is None:
            continue
        rows.append(
            {"id": response.pk, "name": response.name, "language": text.language,
             "text": fill(text.body, values)}
        )  # fmt: skip
    return rows


def _content_type(record) -> ContentType:
    return ContentType.objects.get_for_model(type(record))


def record_tags(record) -> list[str]:
    return list(
        TaggedRecord.objects.filter(content_type=_content_type(record), object_id=record.pk)
        .order_by("tag__name")
        .values_list("tag__name", flat=True)
    )


def tags_named(prefix: str, *, limit: int = 20) -> list[str]:
    return list(
        Tag.objects.filter(name__startswith=prefix.strip().lower())
        .order_by("name")
        .values_list("name", flat=True)[:limit]
    )


def tagged(model, name: str) -> Exists | Q:
    """What a list filters with for "carries the tag `name`" (normalised): the tag's id is read
    first (one indexed query), so the planner sees a constant on the unique (tag, type, id)
    index and picks its plan by how common the tag is (a rare tag is read from the tags'
    index, a common one probed row by row along the list's own order). Unknown tag: nothing."""
    tag_id = Tag.objects.filter(name=normalise_tag(name)).values_list("pk", flat=True).first()
    if tag_id is None:
        return Q(pk__in=[])
    return Exists(
        TaggedRecord.objects.filter(
            tag_id=tag_id,
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
        )
    )


def tags_by_record(model, ids) -> dict[int, list[str]]:
    """{record id: [tag names]} for many records of one type in one query (exports, lists)."""
    found: dict[int, list[str]] = {}
    rows = (
        TaggedRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=list(ids)
        )
        .order_by("tag__name")
        .values_list("object_id", "tag__name")
    )
    for object_id, name in rows:
        found.setdefault(object_id, []).append(name)
    return found


# The panels (servicedesk.page_slots).


def _staff(request) -> bool:
    return request is not None and can_see_internal(request.user)


def comment_box_context(request, *, record) -> dict | None:
    """The reply box's "Canned response" picker: staff only; its list is fetched when opened,
    so the page itself runs no query for it."""
    if not _staff(request) or registry.for_model(type(record)) is None:
        return None
    return {"responses_url": reverse("replies:rendered", args=[record.number])}


def record_panel_context(request, *, record) -> dict | None:
    """The record page's "Tags and macros" card: a shell the page loads afterwards
    (`tags_card_context`), so the record page itself runs no query for it."""
    if not _staff(request) or registry.for_model(type(record)) is None:
        return None
    return {"panel_url": reverse("replies:panel", args=[record.number])}


def tags_card_context(*, user, record) -> dict:
    """The card itself: two queries (its tags, the macros the person may apply to its type)."""
    record_type = registry.for_model(type(record))
    key = record_type.key if record_type is not None else ""
    return {
        "tags": record_tags(record),
        "macros": list(macros_for(user, record_type=key)),
        "tag_url": reverse("replies:tag", args=[record.number]),
        "untag_url": reverse("replies:untag", args=[record.number]),
        "macro_url": reverse("replies:apply", args=[record.number]),
        "record": record,
    }


def workspace_link_context(request) -> dict | None:
    if not _staff(request):
        return None
    return {
        "responses_url": reverse("replies:responses"),
        "macros_url": reverse("replies:macros"),
    }


def bulk_context(user, *, record_type: str) -> dict:
    """The queue's bulk bar: the macros the person may apply to this record type."""
    return {"bulk_macros": list(macros_for(user, record_type=record_type))}
