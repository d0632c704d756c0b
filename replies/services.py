"""Writes: canned responses, tags on any record, and macros applied to one record or many.

Every write runs in a transaction and leaves its audit row on the record's timeline through the
kernel's `record_event`. A macro's actions go through the kernel's work services (assign, reply)
and the record type's own status change (`RecordType.transition`); one record is one
transaction, so a refused action leaves that record as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import SupportGroup
from accounts.roles import can_see_internal
from replies import selectors
from replies.models import (
    TAG_MAX_LENGTH,
    CannedResponse,
    CannedText,
    Macro,
    Tag,
    TaggedRecord,
    normalise_tag,
    split_tags,
)
from replies.placeholders import fill, values_for
from replies.selectors import _running_due_at, text_in
from servicedesk import registry
from servicedesk import services as kernel
from servicedesk.actors import actor_required
from servicedesk.events import record_event
from servicedesk.exceptions import ApplicationError, TransitionNotAllowed
from servicedesk.models import AuditKind, BaseRecord, Visibility
from servicedesk.services.work import is_member

LANGUAGES = dict(settings.LANGUAGES)


# Canned responses.


def _ensure_agent(actor) -> None:
    actor_required(actor)
    if not can_see_internal(actor):
        raise PermissionDenied(_("Only service desk staff can do this."))


def _ensure_may_share(actor, group: SupportGroup | None) -> None:
    if group is not None and not (actor.is_superuser or is_member(actor, group)):
        raise ValidationError(
            {"support_group": [_("You can only share with a group you belong to.")]}
        )


def _ensure_may_edit(actor, item: CannedResponse | Macro) -> None:
    """A personal response or macro by its owner, a shared one by its group's members."""
    if item.owner_id == actor.pk or actor.is_superuser:
        return
    if item.support_group is not None and is_member(actor, item.support_group):
        return
    if isinstance(item, Macro):
        raise PermissionDenied(_("You can only change your own or your groups' macros."))
    raise PermissionDenied(_("You can only change your own or your groups' responses."))


@transaction.atomic
def canned_response_save(
    *,
    actor,
    name: str,
    texts: Mapping[str, str],
    support_group: SupportGroup | None = None,
    response_id: int | None = None,
) -> CannedResponse:
    """Create or change a response: personal (no group) or shared with one of the actor's
    groups; `texts` is {language: text}, at least one; an empty text removes that language."""
    _ensure_agent(actor)
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the response a name.")]
    unknown = [code for code in texts if code not in LANGUAGES]
    if unknown:
        errors["texts"] = [_("Unknown language: %(codes)s.") % {"codes": ", ".join(unknown)}]
    kept = {code: body.strip() for code, body in texts.items() if body.strip()}
    if not kept and not unknown:
        errors["texts"] = [_("Write the text in at least one language.")]
    if errors:
        raise ValidationError(errors)
    _ensure_may_share(actor, support_group)
    if response_id is None:
        response = CannedResponse()
    else:
        response = CannedResponse.objects.select_for_update().get(pk=response_id)
        _ensure_may_edit(actor, response)
    response.name = name
    response.support_group = support_group
    response.owner = None if support_group is not None else actor
    response.save()
    response.texts.exclude(language__in=list(kept)).delete()
    for code, body in kept.items():
        CannedText.objects.update_or_create(
            response=response, language=code, defaults={"body": body}
        )
    return response


@transaction.atomic
def canned_response_delete(*, actor, response_id: int) -> None:
    _ensure_agent(actor)
    response = CannedResponse.objects.select_for_update().get(pk=response_id)
    _ensure_may_edit(actor, response)
    if Macro.objects.filter(response=response).exists():
        raise TransitionNotAllowed(_("A macro uses this response; change the macro first."))
    response.delete()


# Macros.

MACRO_ACTIONS = (
    "record_type", "assign_group", "assign_agent", "response", "visibility", "add_tags",
    "status", "pending_reason",
)  # fmt: skip


def macro_errors(data: Mapping) -> dict[str, list[str]]:
    """What is wrong with a macro's actions (`data` as the admin's and the page's forms clean
    them): none at all, an unknown record type, a status that record type (or, for every type,
    no type) has, a tag too long. Shared by the admin and `macro_save`."""
    errors: dict[str, list[str]] = {}
    key, status = data.get("record_type") or "", data.get("status") or ""
    keys = {t.key for t in registry.all_types()}
    if key and key not in keys:
        errors["record_type"] = [_("Unknown record type.")]
    elif status:
        types = [registry.get(key)] if key else list(registry.all_types())
        if not any(status in t.workflow.labels for t in types if t.has("transition")):
            errors["status"] = [_("No record type here has this status.")]
    if any(len(n) > TAG_MAX_LENGTH for n in split_tags(data.get("add_tags") or "")):
        errors["add_tags"] = [_("A tag has at most %(max)d characters.") % {"max": TAG_MAX_LENGTH}]
    acts = ("assign_group", "assign_agent", "response", "add_tags", "status")
    if not any(data.get(name) for name in acts):
        errors["__all__"] = [_("Choose at least one action: assign, reply, tags or status.")]
    return errors


@transaction.atomic
def macro_save(
    *,
    actor,
    name: str,
    support_group: SupportGroup | None = None,
    macro_id: int | None = None,
    **actions,
) -> Macro:
    """Create or change a macro from the agents' page: personal (no group) or shared with one
    of the actor's groups, with the admin's checks (`macro_errors`); its canned response one the
    actor may use. Nothing is saved when anything is refused."""
    _ensure_agent(actor)
    unknown = set(actions) - set(MACRO_ACTIONS)
    if unknown:
        raise TypeError(f"unknown macro fields: {sorted(unknown)}")
    name = name.strip()
    errors = macro_errors(actions)
    if not name:
        errors["name"] = [_("Give the macro a name.")]
    response = actions.get("response")
    if response is not None and not selectors.responses_for(actor).filter(pk=response.pk).exists():
        errors["response"] = [_("You cannot use this canned response.")]
    if errors:
        raise ValidationError(errors)
    _ensure_may_share(actor, support_group)
    if macro_id is None:
        macro = Macro()
    else:
        macro = Macro.objects.select_for_update().get(pk=macro_id)
        _ensure_may_edit(actor, macro)
    macro.name = name
    macro.support_group = support_group
    macro.owner = None if support_group is not None else actor
    for field_name in MACRO_ACTIONS:
        default = Visibility.PUBLIC if field_name == "visibility" else None
        value = actions.get(field_name) or default
        if value is None and field_name not in ("assign_group", "assign_agent", "response"):
            value = ""
        setattr(macro, field_name, value)
    macro.add_tags = ", ".join(split_tags(macro.add_tags))
    macro.full_clean()
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, actor, macro_id: int) -> None:
    _ensure_agent(actor)
    macro = Macro.objects.select_for_update().get(pk=macro_id)
    _ensure_may_edit(actor, macro)
    macro.delete()


def response_render(*, response: CannedResponse, record: BaseRecord, actor) -> str:
    """The response's text for this record, in its requester's language when it has one."""
    language = getattr(record.requester, "language", "") or settings.LANGUAGE_CODE
    text = text_in(response, language)
    if text is None:
        raise ValidationError({"response": [_("This response has no text.")]})
    values = values_for(record, agent=actor, language=language, due_at=_running_due_at(record))
    return fill(text.body, values)


# Tags.


def parse_tags(text: str) -> list[str]:
    """Tag names from what a person typed ("VPN, Printer jam"), normalised, each once.
    ValidationError on `tags` for a name longer than the column."""
    names = split_tags(text)
    too_long = [n for n in names if len(n) > TAG_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            {"tags": [_("A tag has at most %(max)d characters.") % {"max": TAG_MAX_LENGTH}]}
        )
    return names


def _ensure_can_tag(actor, record: BaseRecord) -> None:
    kernel.ensure_can_work(actor, model=type(record))


@transaction.atomic
def tags_add(*, record: BaseRecord, actor, names: Iterable[str]) -> list[str]:
    """Put the tags on the record (those it has already are left alone); one agent-only audit
    row per tag added. Returns the names added."""
    _ensure_can_tag(actor, record)
    wanted = list(dict.fromkeys(n for n in (normalise_tag(n) for n in names) if n))
    if not wanted:
        raise ValidationError({"tags": [_("Type a tag.")]})
    if any(len(n) > TAG_MAX_LENGTH for n in wanted):
        raise ValidationError(
            {"tags": [_("A tag has at most %(max)d characters.") % {"max": TAG_MAX_LENGTH}]}
        )
    content_type = ContentType.objects.get_for_model(type(record))
    Tag.objects.bulk_create([Tag(name=n) for n in wanted], ignore_conflicts=True)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    present = set(
        TaggedRecord.objects.filter(
            content_type=content_type, object_id=record.pk, tag__name__in=wanted
        ).values_list("tag__name", flat=True)
    )
    added = [n for n in wanted if n not in present]
    TaggedRecord.objects.bulk_create(
        [TaggedRecord(tag=tags[n], content_type=content_type, object_id=record.pk,
                      added_by=actor) for n in added],
        ignore_conflicts=True,
    )  # fmt: skip
    for name in added:
        record_event(
            record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="tags",
            new_value=name, new_text=name, public=False,
        )  # fmt: skip
    return added


@transaction.atomic
def tag_remove(*, record: BaseRecord, actor, name: str) -> bool:
    """Take the tag off the record; an agent-only audit row. False when it did not carry it."""
    _ensure_can_tag(actor, record)
    name = normalise_tag(name)
    deleted, _rows = TaggedRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        tag__name=name,
    ).delete()
    if deleted:
        record_event(
            record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="tags",
            old_value=name, old_text=name, public=False,
        )  # fmt: skip
    return bool(deleted)


# Macros.


def _record_type(model) -> registry.RecordType:
    record_type = registry.for_model(model)
    if record_type is None:
        raise LookupError(f"{model._meta.label} is not a registered record type")
    return record_type


@transaction.atomic
def macro_apply(*, macro: Macro, model: type[BaseRecord], record_id: int, actor,
                version: int | None = None) -> BaseRecord:  # fmt: skip
    """Apply the macro's actions to one record, in one transaction: assign (the kernel's
    `record_assign`), add the reply or work note (`record_comment`), add the tags, set the
    status (the type's own transition, with the pending reason). The record is locked and
    checked against `version` first (StaleVersion). Any refusal undoes every action on this
    record. An agent-only audit row names the macro."""
    record_type = _record_type(model)
    kernel.ensure_can_work(actor, model=model)
    record = kernel.record_lock(model=model, pk=record_id, expected_version=version)
    if macro.record_type and macro.record_type != record_type.key:
        raise ValidationError({"macro": [_("This macro is for another record type.")]})
    if macro.status and not record_type.has("transition"):
        raise TransitionNotAllowed(
            _("A macro cannot set the status of a %(type)s.")
            % {"type": str(record_type.name).lower()}
        )
    if macro.assign_group_id or macro.assign_agent_id:
        kernel.record_assign(
            model=model, record_id=record.pk, actor=actor, support_group=macro.assign_group,
            assignee=macro.assign_agent, keep_group=True,
        )  # fmt: skip
    if macro.response is not None:
        body = response_render(response=macro.response, record=record, actor=actor)
        kernel.record_comment(
            model=model, record_id=record.pk, actor=actor, body=body,
            visibility=macro.visibility or Visibility.PUBLIC,
        )  # fmt: skip
    if macro.tag_names:
        tags_add(record=record, actor=actor, names=macro.tag_names)
    if macro.status:
        details = {"pending_reason": macro.pending_reason} if macro.pending_reason else {}
        record_type.call("transition")(
            record_id=record.pk, actor=actor, target=macro.status, **details
        )
    record_event(
        record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="macro",
        new_value=macro.pk, new_text=macro.name, public=False,
    )  # fmt: skip
    return model._default_manager.get(pk=record.pk)


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _each(model, record_ids: Iterable[int], action) -> BulkResult:
    """`action(record_id)` on each record in its own transaction; refusals are collected."""
    result = BulkResult()
    numbers = dict(
        model._default_manager.filter(pk__in=list(record_ids))
        .order_by("pk")
        .values_list("pk", "number")
    )
    for record_id, number in numbers.items():
        try:
            with transaction.atomic():
                action(record_id)
        except ValidationError as error:
            result.failed.append((number, " ".join(error.messages)))
        except (ApplicationError, PermissionDenied) as error:
            result.failed.append((number, str(error)))
        else:
            result.done.append(number)
    return result


def macros_bulk_apply(*, macro: Macro, model, record_ids: Iterable[int], actor) -> BulkResult:
    kernel.ensure_can_work(actor, model=model)
    return _each(
        model, record_ids,
        lambda pk: macro_apply(macro=macro, model=model, record_id=pk, actor=actor),
    )  # fmt: skip


def tags_bulk_add(*, model, record_ids: Iterable[int], actor, names: list[str]) -> BulkResult:
    kernel.ensure_can_work(actor, model=model)

    def tag(pk):
        record = kernel.record_lock(model=model, pk=pk)
        tags_add(record=record, actor=actor, names=names)

    return _each(model, record_ids, tag)
