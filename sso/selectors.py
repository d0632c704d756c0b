"""Reads for single sign-on: what a person's provider groups grant."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse

from sso.models import GroupMapping, Source


@dataclass(frozen=True)
class Grants:
    """The roles and support groups a person's provider groups map to, and those the mappings
    manage at all (which a person loses when none of their groups maps to them)."""

    roles: frozenset[str] = field(default_factory=frozenset)
    support_group_ids: frozenset[int] = field(default_factory=frozenset)
    managed_roles: frozenset[str] = field(default_factory=frozenset)
    managed_support_group_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not self.roles and not self.support_group_ids


def grants_for_groups(*, source: str, groups: list[str]) -> Grants:
    """What `groups` (names, ids or DNs, any case) grant for a sign-in from `source`: the
    mappings of that source and those of any source. Two queries, whatever the number of
    groups."""
    mappings = GroupMapping.objects.filter(Q(source=source) | Q(source=Source.ANY))
    managed = list(mappings.values_list("role", "support_group_id"))
    wanted = {group.strip().lower() for group in groups if isinstance(group, str) and group}
    hits = [
        (role, group_id)
        for external, role, group_id in mappings.values_list(
            "external_group", "role", "support_group_id"
        )
        if external.strip().lower() in wanted
    ]
    return Grants(
        roles=frozenset(role for role, _group in hits if role),
        support_group_ids=frozenset(group for _role, group in hits if group),
        managed_roles=frozenset(role for role, _group in managed if role),
        managed_support_group_ids=frozenset(group for _role, group in managed if group),
    )


def provider_name(*, provider_id: str = "", organization_slug: str = "") -> str:
    """The name a provider is shown under ("Keycloak"), from the settings or the admin; its id
    when it is not configured."""
    from allauth.socialaccount.adapter import get_adapter

    wanted = provider_id or organization_slug
    for app in get_adapter().list_apps(None):
        if app.provider in ("openid_connect", "saml") and wanted in (
            app.provider_id,
            app.client_id,
        ):
            return app.name or wanted
    return wanted


def sign_in_providers(request) -> list[dict[str, str]]:
    """The "Sign in with …" buttons of the sign-in page: each configured OpenID Connect and
    SAML provider's name and the address its button posts to."""
    from allauth.socialaccount.adapter import get_adapter

    buttons = []
    for app in get_adapter().list_apps(request):
        if app.provider == "openid_connect" and app.provider_id:
            url = reverse("openid_connect_login", kwargs={"provider_id": app.provider_id})
        elif app.provider == "saml" and app.client_id:
            url = reverse("saml_login", kwargs={"organization_slug": app.client_id})
        else:
            continue
        buttons.append({"name": app.name or app.provider_id or app.client_id, "url": url})
    return sorted(buttons, key=lambda button: button["name"].lower())
