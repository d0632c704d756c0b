from django import forms
from django.utils.translation import gettext_lazy as _

from transfer.formats import FORMATS
from transfer.models import ImportMapping, ImportMode, SlaMode


class ImportForm(forms.Form):
    """What an administrator chooses to import a file (input only: the service checks)."""

    file = forms.FileField(
        label=_("File"), help_text=_("CSV, JSON lines or a django-helpdesk JSON export.")
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[(k, f.label) for k, f in FORMATS.items()]
    )
    mapping = forms.ModelChoiceField(
        label=_("Saved mapping"), queryset=ImportMapping.objects.all(), required=False,
        help_text=_("Column names and values of your old tool, laid over the format."),
    )  # fmt: skip
    mode = forms.ChoiceField(label=_("Commit"), choices=ImportMode.choices, initial=ImportMode.ALL)
    batch_size = forms.IntegerField(
        label=_("Batch size"), min_value=1, max_value=50_000, initial=1000
    )
    create_missing = forms.BooleanField(
        label=_("Create unknown people, groups, categories and codes"), required=False
    )
    sla_mode = forms.ChoiceField(label=_("SLA"), choices=SlaMode.choices, initial=SlaMode.KEEP)
    time_zone = forms.CharField(
        label=_("Time zone of the file's dates"), initial="UTC", max_length=64
    )
