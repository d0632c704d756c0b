"""A minimal knowledge base: articles an agent writes and publishes for end users."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    """A published answer: a title people would type, and the steps that solve it.

    Searched with PostgreSQL full-text search (a GIN index on the title and body vector, see
    migration 0002); other databases fall back to matching words in the title and body.
    """

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
    is_published = models.BooleanField(_("published"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    views = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helpful = models.PositiveIntegerField(_("solved a problem"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Title, keywords and text as a tsvector, kept up to date by save() on PostgreSQL (GIN
    # index of migration 0003): ranking reads it instead of parsing every article again.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_search_vectors(Article.objects.filter(pk=self.pk))


def refresh_search_vectors(articles) -> int:
    """Recompute the stored search vector of `articles` (PostgreSQL only; a no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    from knowledge.selectors import VECTOR

    return articles.update(search_vector=VECTOR)
