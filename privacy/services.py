"""Personal data: everything about one person as JSON, anonymising a person who leaves, and the
retention rule that takes the requester off closed records after N months.

Records are kept for the statistics in every case: only what names the person changes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessToken, SecurityEvent, SecurityEventKind, User, UserSession
from accounts.security_log import security_event_record
from accounts.sessions import session_revoke_all
from accounts.tokens import tokens_revoke_all
from servicedesk import registry
from servicedesk.actors import actor_required, is_system_actor
from servicedesk.exceptions import ApplicationError
from servicedesk.models import (
    Attachment,
    AuditEvent,
    AuditKind,
    Comment,
    SatisfactionRating,
)

ANONYMISED_DOMAIN = "anonymised.invalid"
PLACEHOLDER_EMAIL = f"requester@{ANONYMISED_DOMAIN}"
PLACEHOLDER_NAME = "Anonymised requester"
RETENTION_BATCH = 500


class CannotAnonymise(ApplicationError):
    """The person may not be anonymised (the system actor, the placeholder, oneself)."""


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _numbers_by_row(rows) -> dict[tuple[int, int], str]:
    """{(content type id, object id): record number} for timeline rows, one query per type."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        wanted[row.content_type_id].add(row.object_id)
    numbers: dict[tuple[int, int], str] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not hasattr(model, "number"):
            continue
        for pk, number in model._default_manager.filter(pk__in=ids).values_list("pk", "number"):
            numbers[(type_id, pk)] = number
    return numbers


def person_export(*, person: User, actor: User) -> dict[str, Any]:
    """Everything the service desk holds about `person`: the profile and roles, the records they
    requested, their comments, files and ratings, their security log, tokens (never a secret)
    and sessions. Writes a `data_exported` security event naming `actor`."""
    actor_required(actor)
    records = []
    for record_type in registry.all_types():
        model = record_type.model_class
        for record in model._default_manager.filter(requester=person).order_by("pk"):
            records.append(
                {
                    "type": record_type.key,
                    "number": record.number,
                    "title": record.title,
                    "description": record.description,
                    "status": record.status,
                    "created_at": _iso(record.created_at),
                    "updated_at": _iso(record.updated_at),
                }
            )
    comments = list(Comment.objects.filter(author=person).order_by("created_at", "pk"))
    files = list(Attachment.objects.filter(uploaded_by=person).order_by("created_at", "pk"))
    ratings = list(SatisfactionRating.objects.filter(rated_by=person).order_by("created_at", "pk"))
    numbers = _numbers_by_row([*comments, *files, *ratings])

    def number(row) -> str | None:
        return numbers.get((row.content_type_id, row.object_id))

    data = {
        "exported_at": _iso(timezone.now()),
        "person": {
            "id": person.pk,
            "email": person.email,
            "full_name": person.full_name,
            "phone": person.phone,
            "job_title": person.job_title,
            "organisation": str(person.organisation) if person.organisation_id else None,
            "department": person.department.name if person.department is not None else None,
            "manager": str(person.manager) if person.manager_id else None,
            "language": person.language,
            "time_zone": person.time_zone,
            "active": person.is_active,
            "date_joined": _iso(person.date_joined),
            "last_login": _iso(person.last_login),
            "roles": sorted(person.groups.values_list("name", flat=True)),
        },
        "records": records,
        "comments": [
            {
                "record": number(comment),
                "created_at": _iso(comment.created_at),
                "visibility": comment.visibility,
                "body": comment.body,
            }
            for comment in comments
        ],
        "attachments": [
            {
                "record": number(file),
                "created_at": _iso(file.created_at),
                "filename": file.filename,
                "type": file.mime_type,
                "size": file.size,
            }
            for file in files
        ],
        "ratings": [
            {
                "record": number(rating),
                "created_at": _iso(rating.created_at),
                "score": rating.score,
                "comment": rating.comment,
            }
            for rating in ratings
        ],
        "security_log": [
            {
                "at": _iso(event.created_at),
                "event": event.kind,
                "address": event.ip_address,
                "browser": event.user_agent,
                "detail": event.detail,
            }
            for event in SecurityEvent.objects.filter(user=person).order_by("created_at", "pk")
        ],
        "access_tokens": [
            {
                "name": token.name,
                "starts_with": token.prefix,
                "scope": token.scope,
                "created_at": _iso(token.created_at),
                "expires_at": _iso(token.expires_at),
                "last_used_at": _iso(token.last_used_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in AccessToken.objects.filter(user=person).order_by("created_at", "pk")
        ],
        "sessions": [
            {
                "signed_in": _iso(row.created_at),
                "address": row.ip_address,
                "browser": row.user_agent,
            }
            for row in UserSession.objects.filter(user=person).order_by("created_at", "pk")
        ],
    }
    security_event_record(
        kind=SecurityEventKind.DATA_EXPORTED,
        user=person,
        actor=actor,
        records=len(records),
        comments=len(comments),
    )
    return data


def _anonymised_email(person: User) -> str:
    return f"person-{person.pk}@{ANONYMISED_DOMAIN}"


def is_anonymised(person: User) -> bool:
    return person.email.endswith("@" + ANONYMISED_DOMAIN)


@transaction.atomic
def person_anonymise(*, person: User, actor: User) -> User:
    """Anonymise a person who leaves: name, e-mail, phone and job title replaced, password made
    unusable, the account switched off, their tokens revoked, sessions signed out and two-factor
    devices removed. Their records, comments and the statistics stay; the audit texts and the
    security log that spelled their name or address now show the replacement.

    Locks the person's row. Writes an `anonymised` security event naming `actor`. Raises
    CannotAnonymise for the system actor, the retention placeholder and the actor themself.
    Anonymising twice changes nothing more.
    """
    actor_required(actor)
    person = get_user_model().objects.select_for_update().get(pk=person.pk)
    if is_system_actor(person) or person.email == PLACEHOLDER_EMAIL:
        raise CannotAnonymise(_("The service desk's own accounts cannot be anonymised."))
    if person.pk == actor.pk:
        raise CannotAnonymise(_("Ask another administrator to anonymise your own account."))
    if is_anonymised(person):
        return person
    old_name, old_email = person.full_name, person.email
    person.full_name = f"Former user {person.pk}"
    person.email = _anonymised_email(person)
    person.phone = ""
    person.job_title = ""
    person.is_active = False
    person.password = make_password(None)
    person.save(update_fields=["full_name", "email", "phone", "job_title", "is_active", "password"])
    tokens_revoke_all(user=person, actor=actor)
    session_revoke_all(user=person, actor=actor)
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()
    if old_name:
        AuditEvent.objects.filter(old_text=old_name).update(old_text=person.full_name)
        AuditEvent.objects.filter(new_text=old_name).update(new_text=person.full_name)
    SecurityEvent.objects.filter(models.Q(user=person) | models.Q(email__iexact=old_email)).update(
        email=person.email, ip_address=None, user_agent=""
    )
    security_event_record(kind=SecurityEventKind.ANONYMISED, user=person, actor=actor)
    return person


def placeholder_requester() -> User:
    """The one account closed records name once retention takes their requester off."""
    user, _created = get_user_model().objects.get_or_create(
        email=PLACEHOLDER_EMAIL,
        defaults={
            "full_name": PLACEHOLDER_NAME,
            "is_active": False,
            "password": make_password(None),
        },
    )
    return user


def _closed_before(record_type, cutoff: datetime):
    model = record_type.model_class
    workflow = record_type.workflow
    final = [state for state in workflow.states if workflow.is_final(state)]
    names = {field.name for field in model._meta.get_fields()}
    when = "closed_at" if "closed_at" in names else "updated_at"
    return model._default_manager.filter(status__in=final, **{f"{when}__lt": cutoff})


def requesters_anonymise_expired(
    *, actor: User, months: int | None = None, now: datetime | None = None
) -> int:
    """The retention rule: records in a final state (closed, cancelled) for longer than
    `months` (PERSONAL_DATA_RETENTION_MONTHS; 0 keeps them) no longer name their requester. The
    requester becomes the placeholder account on the record, on their comments, files, rating
    and audit rows there; the person's account and their other records are untouched.

    Each record gets an agent-only audit row and a new version. Batches of rows are locked in
    primary-key order with SKIP LOCKED (a record a service is changing waits for the next run).
    Returns how many records changed.
    """
    actor_required(actor)
    months = settings.PERSONAL_DATA_RETENTION_MONTHS if months is None else months
    if months <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=round(months * 30.44))
    placeholder = placeholder_requester()
    changed = 0
    for record_type in registry.all_types():
        while True:
            count = _anonymise_batch(record_type, cutoff, placeholder, actor)
            changed += count
            if count < RETENTION_BATCH:
                break
    return changed


@transaction.atomic
def _anonymise_batch(record_type, cutoff: datetime, placeholder: User, actor: User) -> int:
    model = record_type.model_class
    rows = list(
        _closed_before(record_type, cutoff)
        .exclude(requester=placeholder)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", "requester_id")[:RETENTION_BATCH]
    )
    if not rows:
        return 0
    content_type = ContentType.objects.get_for_model(model)
    by_requester: dict[int, list[int]] = defaultdict(list)
    for pk, requester_id in rows:
        by_requester[requester_id].append(pk)
    ids = [pk for pk, _requester in rows]
    model._default_manager.filter(pk__in=ids).update(
        requester=placeholder, version=F("version") + 1
    )
    for requester_id, record_ids in by_requester.items():
        on_these = {"content_type": content_type, "object_id__in": record_ids}
        Comment.objects.filter(author_id=requester_id, **on_these).update(author=placeholder)
        Attachment.objects.filter(uploaded_by_id=requester_id, **on_these).update(
            uploaded_by=placeholder
        )
        SatisfactionRating.objects.filter(rated_by_id=requester_id, **on_these).update(
            rated_by=placeholder
        )
        AuditEvent.objects.filter(actor_id=requester_id, **on_these).update(actor=placeholder)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                content_type=content_type,
                object_id=pk,
                actor=actor,
                kind=AuditKind.FIELD_CHANGED,
                field="requester",
                new_value=placeholder.pk,
                new_text=PLACEHOLDER_NAME,
                note="Retention: the requester of a record closed long ago is no longer kept.",
                public=False,
            )
            for pk in ids
        ]
    )
    return len(rows)
