"""django-otp-webauthn's JSON views (under its own namespace, as its scripts expect), with the
sign-in's last step logged (`accounts.webauthn.CompleteAuthentication`)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views

from accounts.webauthn import CompleteAuthentication

app_name = "otp_webauthn"

urlpatterns = [
    path("registration/begin/", views.BeginCredentialRegistrationView.as_view(),
         name="credential-registration-begin"),
    path("registration/complete/", views.CompleteCredentialRegistrationView.as_view(),
         name="credential-registration-complete"),
    path("authentication/begin/", views.BeginCredentialAuthenticationView.as_view(),
         name="credential-authentication-begin"),
    path("authentication/complete/", CompleteAuthentication.as_view(),
         name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
         name="js-i18n-catalog"),
]  # fmt: skip
