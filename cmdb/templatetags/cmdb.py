from django import template

from cmdb.models import ImpactProposal

register = template.Library()


@register.inclusion_tag("cmdb/_proposal.html", takes_context=True)
def impact_proposal(context, incident):
    """The incident page's panel: the impact the CMDB proposes from the incident's CI."""
    from cmdb.views import proposal_context, unstuck

    proposal = unstuck(ImpactProposal.objects.filter(incident=incident).first())
    return proposal_context(proposal, context["request"].user) | {"incident": incident}


@register.filter
def criticality_class(value) -> str:
    return {4: "critical", 3: "high", 2: "medium", 1: "low"}.get(value, "low")


@register.filter
def ci_field_label(event) -> str:
    """The label of the field or attribute a CI audit event changed."""
    from servicedesk.templatetags.servicedesk import audit_field_label

    if event.field.startswith("attributes."):
        from cmdb.models import AttributeDefinition

        code = event.field.removeprefix("attributes.")
        label = AttributeDefinition.objects.filter(code=code).values_list("label", flat=True)
        return label.first() or code
    return audit_field_label(event)
