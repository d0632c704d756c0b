from django import template

from sso.selectors import sign_in_providers

register = template.Library()


@register.inclusion_tag("sso/_sign_in_buttons.html", takes_context=True)
def sign_in_buttons(context):
    """One "Sign in with …" button per configured OpenID Connect or SAML provider."""
    request = context["request"]
    return {
        "buttons": sign_in_providers(request),
        "next": context.get("next", ""),
        "csrf_token": context.get("csrf_token"),
    }
