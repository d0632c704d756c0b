"""Input of the knowledge pages: shapes only; `knowledge.services` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from knowledge.choices import Audience
from knowledge.models import Article


class ArticleForm(forms.ModelForm):
    """The editor: Markdown text with a preview, who may read it, and the service it is about."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    source = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = ["title", "summary", "body", "keywords", "service", "audience", "organisation"]
        widgets = {
            "body": forms.Textarea(
                attrs={"rows": 16, "class": "markdown-editor", "data-preview": "article-preview"}
            ),
            "summary": forms.TextInput(),
        }
        help_texts = {
            "body": _("Markdown: ## headings, **bold**, lists, `code`, [links](https://…), "
                      "images from the article's files: ![text](/attachments/ID/download/)."),
        }  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True)
        self.fields["organisation"].required = False
        self.fields["audience"].initial = Audience.EVERYONE

    def _post_clean(self):
        """The services check the article whole (a ModelForm would check the model itself)."""


class TransitionForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FromRecordForm(forms.Form):
    number = forms.CharField(
        label=_("Resolved ticket or known error"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "INC0000042"}),
    )


class ArticleFileForm(forms.Form):
    file = forms.FileField(label=_("File or image"))
