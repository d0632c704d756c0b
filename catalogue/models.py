"""The service catalogue. This issue brings the service itself, so records can point at it;
offerings, prices and requests are added by the catalogue issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    """A business or technical service the IT organisation provides (e-mail, ERP, VPN...)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("support group"),
        help_text=_("The team that supports the service; incidents on it are routed there."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name
