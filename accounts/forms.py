from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import USE_WORKSPACE

# Backends whose success means a password kept here (not the directory's).
LOCAL_PASSWORD_BACKENDS = {"accounts.backends.PeopleBackend"}


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
        "local_password_off": _(
            "People of your organisation sign in with their organisation's account: use the "
            "“Sign in with …” button."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # A directory sign-in that was refused or could not be checked says why (sso).
            reason = getattr(self.request, "sso_sign_in_error", None)
            if reason:
                raise ValidationError(reason, code="directory") from None
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if (
            not settings.LOCAL_PASSWORDS_FOR_END_USERS
            and getattr(user, "backend", None) in LOCAL_PASSWORD_BACKENDS
            and not user.has_perm(USE_WORKSPACE)
            and not user.is_staff
        ):
            raise ValidationError(
                self.error_messages["local_password_off"], code="local_password_off"
            )


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"))

    class Meta:
        model = User
        fields = ["full_name", "phone", "job_title", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import zoneinfo

        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
