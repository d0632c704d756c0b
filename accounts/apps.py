from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People: users (log in by e-mail), organisations, departments, support groups and roles."""

    name = "accounts"
    verbose_name = _("People")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_roles_after_migrate, sender=self)

        from accounts import backends, mfa, security_log, tokens, webauthn

        backends.connect_signals()
        tokens.connect_signals()
        security_log.connect_signals()
        mfa.connect_signals()
        webauthn.connect_signals()


def _sync_roles_after_migrate(sender, **kwargs):
    """Keep each role's permissions current as later apps add models (and after test flushes)."""
    from accounts.roles import sync_role_groups

    sync_role_groups()
