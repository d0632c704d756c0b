"""An article's review workflow and audiences, as data (services and pages read the same maps)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.workflow import Workflow


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    STAFF = "staff", _("Staff only")
    ORGANISATION = "organisation", _("One organisation")


# draft -> in review (the author submits) -> published (a knowledge manager approves) or back
# to draft (sent back with a reason); published -> retired; a published article is revised by
# taking it back to draft, and a retired one may be revived the same way.
ARTICLE_WORKFLOW = Workflow(
    initial=ArticleStatus.DRAFT,
    transitions={
        ArticleStatus.DRAFT: {ArticleStatus.IN_REVIEW},
        ArticleStatus.IN_REVIEW: {ArticleStatus.PUBLISHED, ArticleStatus.DRAFT},
        ArticleStatus.PUBLISHED: {ArticleStatus.RETIRED, ArticleStatus.DRAFT},
        ArticleStatus.RETIRED: {ArticleStatus.DRAFT},
    },
    labels=dict(ArticleStatus.choices),
    cancelled=(ArticleStatus.RETIRED,),
)

# The moves only a knowledge manager makes (the others are the author's or any agent's).
MANAGER_TARGETS = {ArticleStatus.PUBLISHED, ArticleStatus.RETIRED}
# The moves out of review that send the article back need a reason for the author.
REASON_NEEDED = {
    (ArticleStatus.IN_REVIEW, ArticleStatus.DRAFT),
    (ArticleStatus.PUBLISHED, ArticleStatus.RETIRED),
}

COLORS = {
    ArticleStatus.DRAFT: "grey",
    ArticleStatus.IN_REVIEW: "amber",
    ArticleStatus.PUBLISHED: "green",
    ArticleStatus.RETIRED: "red",
}
