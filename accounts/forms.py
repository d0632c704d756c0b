from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class EmailLoginForm(AuthenticationForm):
    """Django's login form with the username field presented as the e-mail address."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _(
            "That e-mail address and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is switched off. Ask your service desk to switch it on."),
    }


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"))

    class Meta:
        model = User
        fields = ["full_name", "phone", "job_title", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import zoneinfo

        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
