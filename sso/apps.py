from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    """Single sign-on and directory accounts: OpenID Connect and SAML through django-allauth,
    LDAP / Active Directory through django-auth-ldap, the mapping of their groups to roles and
    support groups, and the scheduled directory sync."""

    name = "sso"
    verbose_name = _("Single sign-on")
