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


class ColumnForm(forms.Form):
    """One column of the file and the field of ours it feeds (or none)."""

    column = forms.CharField(widget=forms.HiddenInput)
    feeds = forms.ChoiceField(label=_("Feeds"), required=False)

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feeds"].choices = [("", _("Not imported")), *field_choices]


class ValueForm(forms.Form):
    """One value found in the file (a status, a level) and ours it stands for."""

    value = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    ours = forms.ChoiceField(label=_("Ours"), required=False)

    def __init__(self, *args, our_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ours"].choices = [("", _("Choose…")), *our_choices]


ColumnFormSet = forms.formset_factory(ColumnForm, extra=0)
ValueFormSet = forms.formset_factory(ValueForm, extra=0)


class MappingForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the mapping"), max_length=120, required=False,
        help_text=_("Saved for the next file from the same tool: pick it on the upload page."),
    )  # fmt: skip
    source = forms.CharField(
        label=_("Source"), max_length=40, required=False,
        help_text=_("Kept beside each imported number (e.g. “oldtool”): a number this source "
                    "imported before is never imported twice."),
    )  # fmt: skip
