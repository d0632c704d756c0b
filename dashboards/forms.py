from django import forms
from django.utils.translation import gettext_lazy as _

from dashboards.models import ReportSubscription


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = ReportSubscription
        fields = ["frequency", "service", "support_group", "organisation"]
        help_texts = {
            "service": _("Empty: every service."),
            "support_group": _("Empty: every group."),
            "organisation": _("Empty: every organisation."),
        }
