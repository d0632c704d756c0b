"""The knowledge base: articles agents write (from scratch or from a resolved ticket or a known
error), reviewed by a knowledge manager and published to an audience; their versions and votes."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from knowledge.choices import ARTICLE_WORKFLOW, ArticleStatus, Audience


class Article(models.Model):
    """An answer: a title people would type, the symptoms and the steps that solve it (Markdown,
    rendered and sanitised when shown). Written only through `knowledge.services`.

    Its `status` follows `ARTICLE_WORKFLOW`; only published articles reach the portal, and there
    only for their audience (`knowledge.selectors.articles_visible_to`). Every edit keeps a
    numbered `ArticleVersion`; `version` is the number of the latest, checked on each edit (a
    stale one is refused). Searched with PostgreSQL full-text search (a GIN index on the stored
    vector of published articles, migration 0005); other databases match words.
    """

    WORKFLOW = ARTICLE_WORKFLOW

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Other words people use for it.")
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("service"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("The one organisation whose people see it (audience “one organisation”)."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    # The ticket or known error it was written from (any record type, by content type and id,
    # with its number kept for lists and reports).
    source_content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_object_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_number = models.CharField(_("written from"), max_length=32, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    views = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helpful = models.PositiveIntegerField(_("helpful votes"), default=0, editable=False)
    not_helpful = models.PositiveIntegerField(_("not helpful votes"), default=0, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    review_by = models.DateField(
        _("review by"),
        null=True,
        blank=True,
        help_text=_("When a published article is due to be checked again."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Title, keywords and text as a tsvector, kept up to date by save() on PostgreSQL (GIN
    # index of migration 0005): ranking reads it instead of parsing every article again.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        permissions = [("manage_articles", _("Publish, send back and retire knowledge articles"))]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="kb_article_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="kb_article_created_idx"),
            models.Index(fields=["source_number"], name="kb_article_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ARTICLE_WORKFLOW.states),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values),
                name="%(app_label)s_%(class)s_audience_valid",
            ),
            models.CheckConstraint(
                condition=(Q(audience=Audience.ORGANISATION) & Q(organisation__isnull=False))
                | (~Q(audience=Audience.ORGANISATION) & Q(organisation__isnull=True)),
                name="%(app_label)s_%(class)s_organisation_iff_audience",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_search_vectors(Article.objects.filter(pk=self.pk))

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """What an article said after one edit: number 1 is as created, each edit adds the next."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "number"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self):
        return f"{self.article_id} v{self.number}"


class ArticleVote(models.Model):
    """One person's answer to "was this helpful?": one per person and article (a second vote
    replaces the first)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="%(app_label)s_%(class)s_once")
        ]

    def __str__(self):
        return f"{self.article_id}: {self.user_id} {'+' if self.helpful else '-'}"


def refresh_search_vectors(articles) -> int:
    """Recompute the stored search vector of `articles` (PostgreSQL only; a no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    from knowledge.selectors import VECTOR

    return articles.update(search_vector=VECTOR)
