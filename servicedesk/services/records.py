"""A record's life in the kernel: create, lock, update, transition; and what any record carries
(comments, attachments, ratings, links), with redaction. Record apps' services compose these
inside their own transaction (`transaction.atomic`), so a change and its audit rows commit
together."""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.roles import Role, can_see_internal, user_roles
from servicedesk import events
from servicedesk.actors import actor_required
from servicedesk.announce import COMMENTED, announce
from servicedesk.attachments import attachment_check
from servicedesk.exceptions import AlreadyExists, StaleVersion, TransitionNotAllowed
from servicedesk.models import (
    Attachment,
    BaseRecord,
    Comment,
    LinkKind,
    RecordLink,
    Satisfaction,
    SatisfactionRating,
    Visibility,
)
from servicedesk.numbering import next_record_number
from servicedesk.selectors import link_label, record_at, record_is_visible
from servicedesk.text import plain_text, sanitise_html
from servicedesk.workflow import RECORD_GUARDS, Meaning, Workflow

# A record function hands back the record type it was given (an Incident in, an Incident out).
R = TypeVar("R", bound=BaseRecord)


def record_create(*, model: type[R], actor, fields: Mapping[str, Any]) -> R:
    """Create a record with its number, initial status and a `created` audit event.

    Preconditions: inside a transaction; permission checked by the caller.
    Raises ValidationError (field errors) when the fields do not validate.
    """
    record = model(**fields)
    if "description" in fields:
        record.description = sanitise_html(record.description)
    record.status = record.status or model.WORKFLOW.initial
    # Relations arrive as instances the caller already resolved (forms, serializers): checking
    # each again is a query apiece. Field values and the model's own rules are still checked,
    # and the database enforces keys and constraints. The number is drawn after validation, so
    # bad input leaves no gap.
    relations = [f.name for f in model._meta.concrete_fields if f.is_relation]
    record.clean_fields(exclude=["number", *relations])
    record.clean()
    record.number = next_record_number(model.NUMBER_PREFIX)
    record.save()
    events.record_created_event(record=record, actor=actor)
    return record


def record_lock(*, model: type[R], pk, expected_version: int | None = None) -> R:
    """Lock a record's row for this transaction and check the caller edited the current version.

    Raises model.DoesNotExist, or StaleVersion when `expected_version` is not the stored one.
    """
    record = model.objects.select_for_update(of=("self",)).get(pk=pk)
    if expected_version is not None and record.version != expected_version:
        raise StaleVersion()
    return record


def record_take_check(*, record: BaseRecord, actor, expected_version: int | None) -> None:
    """Refuse an "assign to me" that would silently move somebody else's work.

    Preconditions: the record is locked (`record_lock`, which already refused a stale
    `expected_version`). With a version the caller saw the current holder and may take it
    over. Without one, a record held by someone other than the actor is refused, so of two
    agents taking the same record at once exactly one wins: the second finds the first's name
    once the row lock is released. Raises StaleVersion (409).
    """
    if expected_version is None and record.assignee_id not in (None, actor.pk):
        raise StaleVersion(
            _(
                "%(number)s is already assigned to %(person)s. Reload it, and take it over "
                "from there if you mean to."
            )
            % {"number": record.number, "person": record.assignee}
        )


def record_update(
    *, record: BaseRecord, actor, changes: Mapping[str, Any], internal: Iterable[str] = ()
) -> list[str]:
    """Apply `changes` to a locked record; one audit event per field that really changed.

    Returns the changed field names (empty when nothing changed: no save, no version bump).
    Fields named in `internal` are audited as agent-only events.
    """
    changed = []
    old_values = {}
    for name, value in changes.items():
        if name == "description":
            value = sanitise_html(value)
        old = getattr(record, name)
        if old != value:
            old_values[name] = old
            setattr(record, name, value)
            changed.append(name)
    if not changed:
        return []
    record.full_clean(exclude=[f.name for f in record._meta.fields if f.name not in changed])
    internal = set(internal)
    for name in changed:
        events.field_changed_event(
            record=record,
            actor=actor,
            field=name,
            old=old_values[name],
            new=getattr(record, name),
            public=name not in internal,
        )
    _save_new_version(record, changed)
    return changed


def record_transition(
    *,
    record: R,
    workflow: Workflow,
    target: str,
    actor,
    note: str = "",
    context: Mapping[str, Any] | None = None,
    automatic: bool = False,
) -> R:
    """Move a locked record to `target` if the workflow and its guards allow it.

    `automatic`: a move the service makes as a consequence of another change, which the
    workflow declares among its `automatic` transitions. The apps' `RECORD_GUARDS` are asked
    too (servicedesk/workflow.py). Raises TransitionNotAllowed with the reason. Writes a
    `status_changed` audit event.
    """
    source = record.status
    workflow.check(
        record=record, source=source, target=target, context=context, automatic=automatic
    )
    for guard in RECORD_GUARDS:
        reason = guard(
            record, source=source, target=target, meaning=workflow.meaning(target),
            automatic=automatic, actor=actor, context=context or {},
        )  # fmt: skip
        if reason:
            raise TransitionNotAllowed(reason)
    record.status = target
    events.status_changed_event(record=record, actor=actor, old=source, new=target, note=note)
    _save_new_version(record, ["status"])
    return record


def _save_new_version(record: BaseRecord, fields: list[str]) -> None:
    record.version += 1
    record.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def comment_add(
    *, record: BaseRecord, author, body: str, visibility: str = Visibility.PUBLIC, files=()
) -> Comment:
    """Add a public reply or an internal work note, with optional files, to a record.

    Raises ValidationError on an empty text (after sanitising) or a refused file; then nothing
    is saved.
    """
    actor_required(author)
    clean_body = sanitise_html(body)
    if not plain_text(clean_body):
        raise ValidationError({"body": [_("Write something before you send it.")]})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": [_("Choose public reply or internal work note.")]})
    comment = Comment.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        author=author,
        body=clean_body,
        visibility=visibility,
    )
    for uploaded in files:
        attachment_add(
            record=record, uploaded_by=author, file=uploaded, visibility=visibility, comment=comment
        )
    announce(record=record, kind=COMMENTED, actor=author,
             detail={"visibility": visibility, "comment_id": comment.pk})  # fmt: skip
    return comment


@transaction.atomic
def attachment_add(
    *, record: models.Model, uploaded_by, file, visibility: str = Visibility.PUBLIC, comment=None
) -> Attachment:
    """Store a file on a record (or another row with files, `selectors.FILE_OWNERS`) after
    checking its size and type (ValidationError if refused)."""
    actor_required(uploaded_by)
    try:
        mime_type = attachment_check(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    return Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        comment=comment,
        file=file,
        filename=file.name[:255],
        mime_type=mime_type,
        size=file.size,
        uploaded_by=uploaded_by,
        visibility=visibility,
    )


@transaction.atomic
def rating_give(*, record: BaseRecord, rated_by, score, comment: str = "") -> SatisfactionRating:
    """Store (or replace) the rating of a record. ValidationError on a score outside 1-5.

    Who may rate which record, and in which state, is the record app's rule; this only stores.
    """
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in Satisfaction.values:
        raise ValidationError({"score": [_("Choose a rating from 1 to 5.")]})
    rating, _created = SatisfactionRating.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        # Rating again moves the date: reports count a rating in the period it was last given.
        defaults={
            "rated_by": rated_by,
            "score": score,
            "comment": plain_text(sanitise_html(comment)),
            "created_at": timezone.now(),
        },
    )
    return rating


def record_rate(*, record: BaseRecord, actor, score, comment: str = "") -> SatisfactionRating:
    """The requester rates one of their records once its workflow calls it resolved (1-5 and a
    comment; rating again replaces it). Any record type: the rule reads the workflow's meanings.

    Raises PermissionDenied for anyone but the requester, TransitionNotAllowed before the record
    is resolved, ValidationError on a score outside 1-5.
    """
    actor_required(actor)
    if record.requester_id != actor.pk:
        raise PermissionDenied(_("Only the person who asked can rate it."))
    if type(record).WORKFLOW.meaning(record.status) != Meaning.RESOLVED:
        raise TransitionNotAllowed(_("You can rate it once it is resolved or closed."))
    return rating_give(record=record, rated_by=actor, score=score, comment=comment)


def _ensure_can_link(*, actor, records: Iterable[BaseRecord]) -> None:
    """Links are the desk's own notes: agents only, between records the agent sees."""
    actor_required(actor)
    if not can_see_internal(actor):
        raise PermissionDenied(_("Only service desk staff can link records."))
    for record in records:
        if not record_is_visible(user=actor, record=record):
            raise PermissionDenied(_("You may not see %(number)s.") % {"number": record.number})


@transaction.atomic
def record_link_add(*, source: BaseRecord, target: BaseRecord, kind: str, actor) -> RecordLink:
    """Link two records ("source duplicate of target"), with a `linked` event on both timelines.

    Preconditions: none; the actor must be staff and see both records (PermissionDenied).
    Raises ValidationError (`kind`, `target`) for an unknown kind or a link to the record itself,
    and AlreadyExists (409) when the two records are linked this way already, in either
    direction ("A related to B" is "B related to A"; "B duplicate of A" contradicts it).
    """
    if kind not in LinkKind.values:
        raise ValidationError({"kind": [_("Choose how the records are related.")]})
    source_type = ContentType.objects.get_for_model(source)
    target_type = ContentType.objects.get_for_model(target)
    if source_type == target_type and source.pk == target.pk:
        raise ValidationError({"target": [_("A record cannot be linked to itself.")]})
    _ensure_can_link(actor=actor, records=(source, target))
    forward = {"source_type": source_type, "source_id": source.pk}
    forward |= {"target_type": target_type, "target_id": target.pk}
    backward = {"source_type": target_type, "source_id": target.pk}
    backward |= {"target_type": source_type, "target_id": source.pk}
    existing = RecordLink.objects.filter(kind=kind).filter(Q(**forward) | Q(**backward))
    refused = AlreadyExists(
        _("%(source)s and %(target)s are already linked (%(label)s).")
        % {"source": source.number, "target": target.number, "label": link_label(kind, reverse=False)}
    )  # fmt: skip
    if existing.exists():
        raise refused
    try:
        with transaction.atomic():
            link = RecordLink.objects.create(kind=kind, created_by=actor, **forward)
    except IntegrityError:  # the same link added at the same moment by somebody else
        raise refused from None
    events.record_linked_event(record=source, actor=actor, kind=kind, reverse=False, other=target)
    events.record_linked_event(record=target, actor=actor, kind=kind, reverse=True, other=source)
    return link


@transaction.atomic
def record_link_remove(*, link_id: int, actor) -> None:
    """Remove a link, with an `unlinked` event on both records' timelines.

    The link row is locked first, so two agents removing it at once remove it once.
    Raises RecordLink.DoesNotExist when it is gone, PermissionDenied as `record_link_add`.
    """
    link = RecordLink.objects.select_for_update().get(pk=link_id)
    source = record_at(link.source_type_id, link.source_id)
    target = record_at(link.target_type_id, link.target_id)
    _ensure_can_link(actor=actor, records=[r for r in (source, target) if r is not None])
    link.delete()
    if source is not None and target is not None:
        events.record_unlinked_event(
            record=source, actor=actor, kind=link.kind, reverse=False, other=target
        )
        events.record_unlinked_event(
            record=target, actor=actor, kind=link.kind, reverse=True, other=source
        )


@transaction.atomic
def comment_copy(*, comment: Comment, record: BaseRecord, heading: str) -> Comment:
    """A copy of `comment` (its author, time, visibility and files) on another record, the
    copy's text opened by `heading` (e.g. "From INC0000012:"). Used when records are merged:
    no notification, no SLA effect, the files are shared rather than stored twice."""
    copy = Comment.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        author_id=comment.author_id,
        body=sanitise_html(f"<p><em>{escape(heading)}</em></p>{comment.body}"),
        visibility=comment.visibility,
        created_at=comment.created_at,
        redacted_at=comment.redacted_at,
        redacted_by_id=comment.redacted_by_id,
    )
    files = [
        Attachment(
            content_type=copy.content_type,
            object_id=record.pk,
            comment=copy,
            file=attachment.file.name,
            filename=attachment.filename,
            mime_type=attachment.mime_type,
            size=attachment.size,
            uploaded_by_id=attachment.uploaded_by_id,
            visibility=attachment.visibility,
            created_at=attachment.created_at,
            redacted_at=attachment.redacted_at,
            redacted_by_id=attachment.redacted_by_id,
        )
        for attachment in comment.attachments.all()
    ]
    Attachment.objects.bulk_create(files)
    return copy


def ensure_can_redact(actor) -> None:
    """Administrators only (PermissionDenied otherwise); ActorRequired for a missing actor."""
    actor_required(actor)
    if Role.ADMINISTRATOR not in user_roles(actor):
        raise PermissionDenied(_("Only an administrator can redact."))


@transaction.atomic
def comment_redact(*, comment_id: int, actor, note: str = "") -> Comment:
    """Remove a comment's text, leaving the row with who redacted it and when, and a
    `redacted` audit event on the record's timeline. Redacting again changes nothing.

    The comment's files are separate rows: redact them with `attachment_redact`.
    Raises PermissionDenied (not an administrator), Comment.DoesNotExist.
    """
    ensure_can_redact(actor)
    comment = Comment.objects.select_for_update().get(pk=comment_id)
    if comment.is_redacted:
        return comment
    comment.body = ""
    comment.redacted_at = timezone.now()
    comment.redacted_by = actor
    comment.save(update_fields=["body", "redacted_at", "redacted_by"])
    events.redacted_event(row=comment, actor=actor, what="comment", note=note)
    return comment


@transaction.atomic
def attachment_redact(*, attachment_id: int, actor, note: str = "") -> Attachment:
    """Remove a file's content: the stored file is deleted after the commit, the row keeps its
    name, who redacted it and when, and a `redacted` audit event goes on the record's timeline.
    The copies a merge made of the row (they share the stored file) are redacted with it, each
    with its event. A redacted file can no longer be downloaded. Redacting again changes
    nothing.

    Raises PermissionDenied (not an administrator), Attachment.DoesNotExist.
    """
    ensure_can_redact(actor)
    attachment = Attachment.objects.get(pk=attachment_id)
    if attachment.is_redacted:
        return attachment
    storage, stored_name = attachment.file.storage, attachment.file.name
    # A merge shares the stored file between the original and its copies: all lose it.
    sharing = Attachment.objects.filter(pk=attachment_id)
    if stored_name:
        sharing = Attachment.objects.filter(file=stored_name)
    now = timezone.now()
    for row in sharing.filter(redacted_at__isnull=True).select_for_update().order_by("pk"):
        row.file, row.size, row.redacted_at, row.redacted_by = "", 0, now, actor
        row.save(update_fields=["file", "size", "redacted_at", "redacted_by"])
        events.redacted_event(row=row, actor=actor, what="attachment", text=row.filename, note=note)
        if row.pk == attachment.pk:
            attachment = row
    if stored_name:
        transaction.on_commit(lambda: storage.delete(stored_name))
    return attachment
