from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import EmailLoginForm, ProfileForm
from accounts.roles import USE_WORKSPACE
from accounts.selectors import assignable_people
from accounts.services import user_update_preferences
from accounts.sessions import session_rekey, session_revoke_all

ASSIGNEE_OPTIONS_LIMIT = 500  # a menu longer than this is no menu; groups are far smaller


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The lockout message offers a password reset as the way out: lift the lockout.
        axes_reset(username=form.user.email.lower())
        messages.success(self.request, _("Your password is changed. Sign in with the new one."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        # The session got a new key; the person's other sessions no longer hold: sign them out.
        session_rekey(old_key=old_key, request=self.request, user=form.user)
        session_revoke_all(user=form.user, actor=form.user, keep=self.request.session.session_key)
        messages.success(self.request, _("Your password is changed."))
        return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_update_preferences(
                user=request.user,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.user.language:
                translation.activate(request.user.language)
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


def _whole_number(value) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


@login_required
@permission_required(USE_WORKSPACE, raise_exception=True)
def assignee_options(request):
    """The <option>s of an assignee menu for the support group chosen beside it (htmx swaps them
    in when the group changes): the group's members and lead, or everyone in a group when none is
    chosen. `assignee` stays selected if it is among them; `blank=any` labels the empty choice
    "Any" (filters) instead of a dash (forms). Anything that is not a group id means no group."""
    group_id = _whole_number(request.GET.get("support_group"))
    people = assignable_people(support_group_id=group_id).values_list("pk", "full_name")
    return render(
        request,
        "accounts/_assignee_options.html",
        {
            "people": list(people[:ASSIGNEE_OPTIONS_LIMIT]),
            "selected": _whole_number(request.GET.get("assignee")),
            "blank": request.GET.get("blank", ""),
        },
    )


@require_POST
def set_language(request):
    """Switch the interface language; remembered in a cookie and, when signed in, the profile."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        user_update_preferences(user=request.user, actor=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def axes_username(request, credentials=None):
    """The name django-axes counts failed sign-ins under: the e-mail address in lower case."""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "data", request.POST).get(settings.AXES_USERNAME_FORM_FIELD)
    return username.strip().lower() if isinstance(username, str) else None


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes calls this when an e-mail address is locked after too many failed logins."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed sign-in attempts. Wait %(minutes)d minutes and try again, "
        "or reset your password."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "errors": {}}, status=429)
    form = EmailLoginForm(request)
    return render(
        request, "accounts/login.html", {"form": form, "locked_message": message}, status=429
    )
