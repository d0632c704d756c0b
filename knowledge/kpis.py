"""The knowledge KPIs: articles written from tickets per month, the portal's deflection rate,
views and helpful votes, and the articles due for review. Each figure is one aggregate query."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from knowledge.choices import ArticleStatus
from knowledge.models import Article
from knowledge.selectors import deflection_model


@dataclass(frozen=True)
class Month:
    month: date
    from_tickets: int
    written: int


def _month_start(day: date) -> date:
    return day.replace(day=1)


def articles_per_month(*, since: datetime) -> list[Month]:
    """Articles written each month since `since` (in the desk's time zone), and how many of them
    were written from a ticket or a known error; months without any show as 0."""
    rows = (
        Article.objects.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(written=Count("id"), from_tickets=Count("id", filter=~Q(source_number="")))
    )
    found = {row["month"].date() if isinstance(row["month"], datetime) else row["month"]: row
             for row in rows}  # fmt: skip
    months: list[Month] = []
    month = _month_start(timezone.localtime(since).date())
    last = _month_start(timezone.localdate())
    while month <= last:
        row = found.get(month, {})
        months.append(Month(month, row.get("from_tickets", 0), row.get("written", 0)))
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def deflection_rate(*, since: datetime) -> dict:
    """Of the portal's "report a problem" visits since `since` that ended (an article solved it,
    or the person logged an incident), the share an article solved. None without any."""
    counts = (
        deflection_model()
        .objects.filter(created_at__gte=since)
        .aggregate(
            solved=Count("id", filter=Q(outcome="solved")),
            logged=Count("id", filter=Q(outcome="logged")),
        )
    )
    ended = counts["solved"] + counts["logged"]
    return {**counts, "ended": ended, "rate": counts["solved"] / ended if ended else None}


def votes_and_views() -> dict:
    """Views and votes over all articles, and the most read published ones with their votes."""
    totals = Article.objects.aggregate(
        views=Sum("views"), helpful=Sum("helpful"), not_helpful=Sum("not_helpful")
    )
    totals = {name: value or 0 for name, value in totals.items()}
    voted = totals["helpful"] + totals["not_helpful"]
    top = (
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .only("id", "title", "views", "helpful", "not_helpful")
        .order_by("-views", "id")[:10]
    )
    return {
        **totals,
        "helpful_share": totals["helpful"] / voted if voted else None,
        "top": list(top),
    }


def due_for_review(*, today: date | None = None, limit: int = 50) -> dict:
    """Published articles whose review date has come, oldest first (and how many there are)."""
    rows = Article.objects.filter(
        status=ArticleStatus.PUBLISHED, review_by__lte=today or timezone.localdate()
    )
    return {
        "count": rows.count(),
        "articles": list(rows.select_related("author").order_by("review_by", "id")[:limit]),
    }


def knowledge_kpis(*, months: int = 12, days: int = 30) -> dict:
    """Every figure of the knowledge KPIs page."""
    now = timezone.now()
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _step in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return {
        "months": articles_per_month(since=start),
        "deflection": deflection_rate(since=now - timedelta(days=days)),
        "days": days,
        "votes": votes_and_views(),
        "review": due_for_review(),
    }
