from django import forms
from django.utils.translation import gettext_lazy as _

from followsun import selectors


class HandoverReportForm(forms.Form):
    """Which desk and which of its local days the handover report shows."""

    desk = forms.ModelChoiceField(
        label=_("Desk"), queryset=selectors.desks_for_report(), empty_label=None
    )
    day = forms.DateField(
        label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The desk's local date whose day ended."),
    )  # fmt: skip
