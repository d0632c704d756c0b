"""Writes of the portal itself: the deflection log (did the articles spare an incident?)."""

from knowledge.models import Article
from knowledge.services import article_vote
from portal.models import Deflection, DeflectionOutcome


def deflection_start(*, user) -> Deflection:
    return Deflection.objects.create(user=user)


def _mine(deflection_id, user):
    if not deflection_id:
        return None
    return Deflection.objects.filter(pk=deflection_id, user=user).first()


def deflection_shown(*, deflection_id, user, query: str, articles) -> None:
    """What the person typed and which articles were offered (the latest search wins)."""
    deflection = _mine(deflection_id, user)
    if deflection is None or deflection.outcome != DeflectionOutcome.OPEN:
        return
    shown = list(dict.fromkeys([*deflection.shown_article_ids, *(a.pk for a in articles)]))
    deflection.query = query[:200]
    deflection.shown_article_ids = shown[:50]
    deflection.save(update_fields=["query", "shown_article_ids", "updated_at"])


def deflection_solved(*, deflection_id, user, article: Article) -> None:
    """An article solved it: no incident logged. Counts as the person's helpful vote too."""
    article_vote(actor=user, article_id=article.pk, helpful=True)
    deflection = _mine(deflection_id, user)
    if deflection is not None and deflection.outcome == DeflectionOutcome.OPEN:
        deflection.outcome = DeflectionOutcome.SOLVED
        deflection.article = article
        deflection.save(update_fields=["outcome", "article", "updated_at"])


def deflection_logged(*, deflection_id, user, incident) -> None:
    deflection = _mine(deflection_id, user)
    if deflection is not None:
        deflection.outcome = DeflectionOutcome.LOGGED
        deflection.incident = incident
        deflection.save(update_fields=["outcome", "incident", "updated_at"])
