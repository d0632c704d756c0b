"""Every write of the knowledge base: writing and editing articles (each edit a version),
the review workflow, files, votes and views. Pages, the API and the portal call these.

Who may do what: agents (`knowledge.add_article`) write, edit drafts and submit; knowledge
managers (`knowledge.manage_articles`) publish (never their own article: a second pair of eyes),
send back and retire. Every change leaves an audit row on the article's timeline in the same
transaction (`servicedesk.events.record_event`).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import can_see_internal
from knowledge.choices import (
    ARTICLE_WORKFLOW,
    MANAGER_TARGETS,
    REASON_NEEDED,
    ArticleStatus,
    Audience,
)
from knowledge.models import Article, ArticleVersion, ArticleVote
from knowledge.selectors import KNOWLEDGE_MANAGE, KNOWLEDGE_WRITE, readable_by
from servicedesk.actors import actor_required
from servicedesk.events import record_event
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import Attachment, AuditKind, BaseRecord
from servicedesk.selectors import record_by_number
from servicedesk.services import attachment_add
from servicedesk.text import plain_text
from servicedesk.workflow import Meaning

EDITABLE = {ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW}
VERSIONED_FIELDS = ("title", "summary", "body", "keywords")
EDIT_FIELDS = (*VERSIONED_FIELDS, "service", "audience", "organisation")


def ensure_can_write(actor) -> None:
    """Staff who write articles (agents and behind them), else PermissionDenied."""
    actor_required(actor)
    if not (can_see_internal(actor) and actor.has_perm(KNOWLEDGE_WRITE)):
        raise PermissionDenied(_("Only agents write knowledge articles."))


def article_check(*, title: str, body: str, audience: str, organisation, summary: str = "",
                  keywords: str = "") -> None:  # fmt: skip
    """ValidationError keyed by field for an article that could not be saved."""
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the article a title.")]
    elif len(title) > 200:
        errors["title"] = [_("A title has at most 200 characters.")]
    if not (body or "").strip():
        errors["body"] = [_("Write the article's text.")]
    if len(summary or "") > 300:
        errors["summary"] = [_("A summary has at most 300 characters.")]
    if len(keywords or "") > 300:
        errors["keywords"] = [_("Keywords have at most 300 characters.")]
    if audience not in Audience.values:
        errors["audience"] = [_("Choose who may read it.")]
    elif audience == Audience.ORGANISATION and organisation is None:
        errors["organisation"] = [_("Choose the organisation whose people may read it.")]
    if errors:
        raise ValidationError(errors)


def _snapshot(article: Article, actor) -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        edited_by=actor,
        **{name: getattr(article, name) for name in VERSIONED_FIELDS},
    )


# --- Writing from a ticket or a known error ----------------------------------------------------


def article_draft_from(*, actor, number: str) -> dict[str, Any]:
    """What an article written from the record `number` starts with: its title, and a text with
    the symptoms (its description, or a known error's symptoms) and the resolution (a resolved
    ticket's resolution notes, or a known error's workaround).

    Any record type works: a resolved one (its workflow says so) or a known error (a record
    with a workaround). The record is read through its type's visibility (ValidationError on
    `source` for a hidden, unknown or unsuitable one).
    """
    ensure_can_write(actor)
    try:
        record = record_by_number(user=actor, number=number)
    except ObjectDoesNotExist:
        raise ValidationError({"source": [_("No record you may see has this number.")]}) from None
    workaround = (getattr(record, "workaround", "") or "").strip()
    resolved = record.WORKFLOW.meaning(record.status) == Meaning.RESOLVED
    if not (workaround or resolved):
        raise ValidationError(
            {
                "source": [
                    _("Write articles from a resolved ticket or a known error with its workaround.")
                ]
            }
        )
    symptoms = plain_text(getattr(record, "symptoms", "") or record.description or "")
    resolution = plain_text(workaround or getattr(record, "resolution_notes", "") or "")
    body = "\n\n".join(
        [f"## {_('Symptoms')}", symptoms or "…", f"## {_('Resolution')}", resolution or "…"]
    )
    return {"title": record.title, "summary": "", "body": body, "source": record}


# --- Create, edit ------------------------------------------------------------------------------


@transaction.atomic
def article_create(
    *,
    actor,
    title: str,
    body: str,
    summary: str = "",
    keywords: str = "",
    service=None,
    audience: str = Audience.EVERYONE,
    organisation=None,
    source: BaseRecord | None = None,
) -> Article:
    """A new draft by `actor` (an agent), with its version 1 and a "created" audit row.

    `source` is the ticket or known error it is written from (checked with
    `article_draft_from`). PermissionDenied for non-agents; ValidationError by field.
    """
    ensure_can_write(actor)
    if audience != Audience.ORGANISATION:
        organisation = None
    article_check(title=title, body=body, audience=audience, organisation=organisation,
                  summary=summary, keywords=keywords)  # fmt: skip
    article = Article(
        title=title.strip(), body=body, summary=summary.strip(), keywords=keywords.strip(),
        service=service, audience=audience, organisation=organisation, author=actor,
    )  # fmt: skip
    if source is not None:
        article.source_content_type = ContentType.objects.get_for_model(source)
        article.source_object_id = source.pk
        article.source_number = source.number
    article.save()
    _snapshot(article, actor)
    record_event(record=article, actor=actor, kind=AuditKind.CREATED, new_text=article.title[:255],
                 note=article.source_number)  # fmt: skip
    return article


def _lock(article_id: int, version: int | None) -> Article:
    try:
        article = Article.objects.select_for_update().get(pk=article_id)
    except Article.DoesNotExist:
        raise Article.DoesNotExist(article_id) from None
    if version is not None and version != article.version:
        raise StaleVersion()
    return article


@transaction.atomic
def article_update(*, actor, article_id: int, version: int | None, **changes: Any) -> Article:
    """Edit a draft (or an article in review) given the `version` the editor saw: StaleVersion
    (409) when someone saved in between; TransitionNotAllowed once published or retired (take
    it back to draft first). Changed text makes a new version; each changed field is audited.
    An edit that changes nothing writes nothing.
    """
    ensure_can_write(actor)
    unknown = set(changes) - set(EDIT_FIELDS)
    if unknown:
        raise TypeError(f"article_update() got unknown fields {sorted(unknown)}")
    article = _lock(article_id, version)
    if article.status not in EDITABLE:
        raise TransitionNotAllowed(
            _("A published or retired article is edited after taking it back to draft.")
        )
    if changes.get("audience", article.audience) != Audience.ORGANISATION:
        changes["organisation"] = None
    merged = {name: changes.get(name, getattr(article, name)) for name in EDIT_FIELDS}
    for name in ("title", "summary", "keywords"):
        merged[name] = (merged[name] or "").strip()
    article_check(title=merged["title"], body=merged["body"], audience=merged["audience"],
                  organisation=merged["organisation"], summary=merged["summary"],
                  keywords=merged["keywords"])  # fmt: skip
    changed = [name for name in EDIT_FIELDS if merged[name] != getattr(article, name)]
    if not changed:
        return article
    new_version = article.version + 1
    for name in changed:
        old = getattr(article, name)
        setattr(article, name, merged[name])
        if name == "body":  # the text itself is in the versions: the event names them
            record_event(record=article, actor=actor, kind=AuditKind.FIELD_CHANGED, field=name,
                         old_text=f"v{new_version - 1}", new_text=f"v{new_version}")  # fmt: skip
            continue
        record_event(
            record=article, actor=actor, kind=AuditKind.FIELD_CHANGED, field=name,
            old_value=getattr(old, "pk", old), new_value=getattr(merged[name], "pk", merged[name]),
            old_text=str(old or "")[:255], new_text=str(merged[name] or "")[:255],
        )  # fmt: skip
    if set(changed) & set(VERSIONED_FIELDS):
        article.version = new_version
        _snapshot(article, actor)
    article.save()
    return article


# --- The review workflow -----------------------------------------------------------------------


def move_refusal(actor, article: Article, to: str) -> str | None:
    """Why `actor` may not make this move (their role), or None: publishing, sending back
    from review and retiring are a knowledge manager's, and nobody publishes their own article.
    The pages offer only the moves this allows."""
    sends_back = article.status == ArticleStatus.IN_REVIEW and to == ArticleStatus.DRAFT
    if (to in MANAGER_TARGETS or sends_back) and not actor.has_perm(KNOWLEDGE_MANAGE):
        return _("Only a knowledge manager publishes, sends back or retires articles.")
    if to == ArticleStatus.PUBLISHED and article.author_id == actor.pk:
        return _("Another knowledge manager must publish an article you wrote.")
    return None


def article_moves(actor, article: Article) -> list[tuple[str, str]]:
    """(status, label) of the moves `actor` may make on the article now, in workflow order."""
    return [
        (target, str(ARTICLE_WORKFLOW.labels.get(target, target)))
        for target in ARTICLE_WORKFLOW.allowed_targets(article.status)
        if move_refusal(actor, article, target) is None
    ]


@transaction.atomic
def article_transition(
    *, actor, article_id: int, to: str, version: int | None = None, reason: str = ""
) -> Article:
    """Move an article along its review workflow (`ARTICLE_WORKFLOW`).

    Agents submit a draft for review and take an article back to draft; publishing, sending
    back from review and retiring are a knowledge manager's (PermissionDenied otherwise), who
    may not publish an article they wrote. Sending back and retiring need a `reason` (shown to
    the author on the timeline). Publishing sets when it was published and when it is due for
    review (`KNOWLEDGE_REVIEW_DAYS`). Raises TransitionNotAllowed (409) for a move the workflow
    does not allow, StaleVersion for a stale `version`.
    """
    ensure_can_write(actor)
    article = _lock(article_id, version)
    source = article.status
    ARTICLE_WORKFLOW.check(record=article, source=source, target=to)
    refusal = move_refusal(actor, article, to)
    if refusal:
        raise PermissionDenied(refusal)
    reason = (reason or "").strip()
    if (source, to) in REASON_NEEDED and not reason:
        raise ValidationError({"reason": [_("Say why, for the author.")]})
    article.status = to
    fields = ["status", "updated_at"]
    if to == ArticleStatus.PUBLISHED:
        article.published_at = timezone.now()
        days = getattr(settings, "KNOWLEDGE_REVIEW_DAYS", 365)
        article.review_by = timezone.localdate() + timedelta(days=days)
        fields += ["published_at", "review_by"]
    article.save(update_fields=fields)
    labels = ARTICLE_WORKFLOW.labels
    record_event(
        record=article, actor=actor, kind=AuditKind.STATUS_CHANGED, field="status",
        old_value=source, new_value=to, old_text=str(labels.get(source, source)),
        new_text=str(labels.get(to, to)), note=reason,
    )  # fmt: skip
    return article


# --- Files, votes, views -----------------------------------------------------------------------


@transaction.atomic
def article_attach(*, actor, article_id: int, file) -> Attachment:
    """A file or image on an article (the kernel's checks of size and type; ValidationError on
    `file`), downloaded by whoever may read the article. Agents only, not on a retired one."""
    ensure_can_write(actor)
    article = _lock(article_id, None)
    if article.status == ArticleStatus.RETIRED:
        raise TransitionNotAllowed(_("A retired article takes no more files."))
    attachment = attachment_add(record=article, uploaded_by=actor, file=file)
    record_event(record=article, actor=actor, kind=AuditKind.ATTACHED,
                 new_text=attachment.filename[:255])  # fmt: skip
    return attachment


@transaction.atomic
def article_vote(*, actor, article_id: int, helpful: bool) -> Article:
    """ "Was this helpful?": one answer per person and article (voting again replaces it); the
    article's counts follow. Article.DoesNotExist for an article the person may not read."""
    actor_required(actor)
    article = readable_by(actor).select_for_update().get(pk=article_id)
    ArticleVote.objects.update_or_create(
        article=article,
        user=actor,
        defaults={"helpful": bool(helpful), "created_at": timezone.now()},
    )
    counts = ArticleVote.objects.filter(article=article).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    article.helpful, article.not_helpful = counts["yes"], counts["no"]
    Article.objects.filter(pk=article.pk).update(helpful=counts["yes"], not_helpful=counts["no"])
    return article


def article_viewed(*, article: Article) -> None:
    """One more view (a reader opened it in the portal)."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
