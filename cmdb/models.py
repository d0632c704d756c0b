"""The configuration management database. This issue brings the configuration item itself, so
records can point at it; types, relationships and impact analysis come with the CMDB issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfigurationItem(models.Model):
    """Anything managed to deliver a service: a server, an application, a network device."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    ci_type = models.CharField(_("type"), max_length=60, blank=True)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="configuration_items",
        verbose_name=_("service"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="configuration_items",
        verbose_name=_("support group"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")

    def __str__(self):
        return self.name
