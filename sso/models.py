"""What single sign-on and the directory sync keep: group mappings, the link from a person to
their directory entry, and one row per sync run."""

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class Source(models.TextChoices):
    """Where a person's groups come from."""

    ANY = "", _("Any source")
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML")
    LDAP = "ldap", _("LDAP / Active Directory")


class GroupMapping(models.Model):
    """One group of an identity provider or directory (a `groups` claim value, a SAML group
    attribute value, an LDAP group's name or DN) and the role and/or support group it grants.

    A role or support group named by any mapping is *managed*: at each sign-in and sync a person
    holds it exactly when one of their groups maps to it. Roles and groups no mapping names are
    left as an administrator set them.
    """

    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, blank=True, default=Source.ANY
    )
    external_group = models.CharField(
        _("group in the provider"),
        max_length=255,
        help_text=_(
            "The value as the provider sends it: a group name, an Entra ID group object id, "
            "or an LDAP group's common name or full DN. Compared without regard to case."
        ),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sso_mappings",
        verbose_name=_("support group"),
    )

    class Meta:
        ordering = ["source", "external_group"]
        verbose_name = _("group mapping")
        verbose_name_plural = _("group mappings")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="") | models.Q(support_group__isnull=False),
                name="%(app_label)s_%(class)s_grants_something",
                violation_error_message=_("Choose a role, a support group or both."),
            ),
            models.UniqueConstraint(
                "source",
                Lower("external_group"),
                "role",
                "support_group",
                name="%(app_label)s_%(class)s_unique",
                violation_error_message=_("This mapping exists already."),
            ),
            # A missing support group counts as a value of its own (NULLs are never equal).
            models.UniqueConstraint(
                "source",
                Lower("external_group"),
                "role",
                condition=models.Q(support_group__isnull=True),
                name="%(app_label)s_%(class)s_unique_without_group",
                violation_error_message=_("This mapping exists already."),
            ),
        ]
        indexes = [models.Index(Lower("external_group"), name="sso_mapping_group_idx")]

    def __str__(self):
        grants = [str(label) for label in (self.get_role_display(), self.support_group) if label]
        return f"{self.external_group} → {', '.join(grants)}"


class DirectoryAccount(models.Model):
    """The directory entry a person was created from or matched to (LDAP / Active Directory).

    `external_id` is the entry's stable id (OpenLDAP `entryUUID`, AD `objectGUID`), so a renamed
    or moved entry, or a changed e-mail address, still finds its person.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="directory_account",
        verbose_name=_("person"),
    )
    dn = models.CharField(_("distinguished name"), max_length=1000)
    external_id = models.CharField(_("directory id"), max_length=255, unique=True)
    manager_dn = models.CharField(_("manager's distinguished name"), max_length=1000, blank=True)
    disabled_in_directory = models.BooleanField(_("disabled in the directory"), default=False)
    deactivated_by_sync = models.BooleanField(
        _("switched off by the sync"),
        default=False,
        help_text=_("Switched on again by the sync when the directory enables the entry again."),
    )
    synced_at = models.DateTimeField(_("last synced"), default=timezone.now)

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")
        indexes = [models.Index(Lower("dn"), name="sso_directory_dn_idx")]

    def __str__(self):
        return self.dn


class DirectorySyncRun(models.Model):
    """One run of the directory sync: what it did, and the entries it could not take."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    deactivated = models.PositiveIntegerField(_("switched off"), default=0)
    reactivated = models.PositiveIntegerField(_("switched on"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("directory sync run")
        verbose_name_plural = _("directory sync runs")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class SamlProvider(SocialApp):
    """A SAML identity provider (ADFS, Entra ID, Okta...) as django-allauth keeps it: the admin
    page that takes the provider's metadata in."""

    class Meta:
        proxy = True
        verbose_name = _("SAML identity provider")
        verbose_name_plural = _("SAML identity providers")
