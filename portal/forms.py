"""Forms of the portal's own pages (the reply and rating forms every record page shares are the
kernel's, servicedesk/portal.py; each record type's own forms are in its app)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (needed to reject)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
