"""Canned responses (reply templates per language), macros (several actions in one click) and
tags on any record (content type and id, as the kernel's rows)."""

import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Visibility

TAG_MAX_LENGTH = 50
_SPACES = re.compile(r"[\s_]+")
# The comma of each keyboard the desk is typed on: Latin, Arabic/Persian, Chinese (full width,
# enumeration).
_SEPARATORS = re.compile("[,\u060c\uff0c\u3001]")


def split_tags(text: str) -> list[str]:
    """The tag names in a comma-separated text, normalised, without blanks or repeats."""
    return list(dict.fromkeys(n for n in (normalise_tag(p) for p in _SEPARATORS.split(text)) if n))


def normalise_tag(name: str) -> str:
    """One spelling per tag: trimmed, lower case, runs of spaces as one hyphen ("VPN  issue" ->
    "vpn-issue"); commas are separators, never part of a tag."""
    return _SPACES.sub("-", _SEPARATORS.sub(" ", name).strip()).strip("-").lower()


class OwnedMixin(models.Model):
    """Personal (an owner), shared with a support group, or (neither) everyone's."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", verbose_name=_("owner"),
        help_text=_("Personal: only this agent sees it."),
    )  # fmt: skip
    support_group = models.ForeignKey(
        "accounts.SupportGroup", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", verbose_name=_("shared with group"),
        help_text=_("Shared: every member of this group sees it."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CannedResponse(OwnedMixin):
    """A reply template; its text per language is a `CannedText`."""

    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(support_group__isnull=True),
                name="%(app_label)s_%(class)s_personal_or_shared",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="canned_owner_idx"),
            models.Index(fields=["support_group", "name"], name="canned_group_idx"),
        ]

    def __str__(self):
        return self.name


class CannedText(models.Model):
    response = models.ForeignKey(CannedResponse, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {{ requester_name }}, {{ number }}, {{ title }}, {{ due }}, "
            "{{ link }}, {{ agent_name }}."
        ),
    )

    class Meta:
        verbose_name = _("text")
        verbose_name_plural = _("texts")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "language"], name="%(app_label)s_%(class)s_one_per_language"
            )
        ]

    def __str__(self):
        return f"{self.response} ({self.language})"


class Macro(OwnedMixin):
    """Several actions applied at once, in this order: assign, reply or note, tags, status.
    Each action is optional; a blank `record_type` applies to every record type."""

    name = models.CharField(_("name"), max_length=120)
    record_type = models.CharField(
        _("record type"), max_length=40, blank=True,
        help_text=_("Empty: every record type (a status applies where it exists)."),
    )  # fmt: skip
    assign_group = models.ForeignKey(
        "accounts.SupportGroup", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("assign to group"),
    )  # fmt: skip
    assign_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("assign to agent"),
    )  # fmt: skip
    response = models.ForeignKey(
        CannedResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("add the canned response"),
    )  # fmt: skip
    visibility = models.CharField(
        _("as"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    add_tags = models.CharField(
        _("add tags"), max_length=255, blank=True, help_text=_("Separated by commas.")
    )
    status = models.CharField(_("set status"), max_length=40, blank=True)
    pending_reason = models.CharField(_("pending reason"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(support_group__isnull=True),
                name="%(app_label)s_%(class)s_personal_or_shared",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def tag_names(self) -> list[str]:
        return split_tags(self.add_tags)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=TAG_MAX_LENGTH, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TaggedRecord(models.Model):
    """A tag on one record of any type. The unique (tag, type, id) index answers the queue's
    "tagged X" filter; (type, id) the record page."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="records")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tagged record")
        verbose_name_plural = _("tagged records")
        constraints = [
            models.UniqueConstraint(
                fields=["tag", "content_type", "object_id"], name="%(app_label)s_%(class)s_once"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="tagged_record_idx")]

    def __str__(self):
        return f"{self.tag} on {self.content_type_id}:{self.object_id}"
