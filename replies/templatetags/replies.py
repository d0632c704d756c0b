"""`{% bulk_actions "incident" %}`: the macros and tagging a queue's bulk bar offers (inside the
queue's form: its checked records and `next` are posted to replies:bulk)."""

from django import template

from accounts.roles import can_see_internal
from replies.selectors import bulk_context

register = template.Library()


@register.inclusion_tag("replies/_bulk_bar.html", takes_context=True)
def bulk_actions(context, record_type: str):
    request = context.get("request")
    if request is None or not can_see_internal(request.user):
        return {"show": False}
    return {
        "show": True,
        "record_type": record_type,
        **bulk_context(request.user, record_type=record_type),
    }
