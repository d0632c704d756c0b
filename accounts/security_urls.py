"""URLs of the account security pages, included by accounts.urls (namespace "accounts")."""

from django.urls import path

from accounts import security_views as views

urlpatterns = [
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("security/", views.security, name="security"),
    path("security/keys/<id:pk>/remove/", views.security_key_remove, name="security_key_remove"),
    path("security/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("security/two-factor/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path("security/two-factor/off/", views.two_factor_disable, name="two_factor_disable"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "security/recovery-codes/new/",
        views.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<id:pk>/revoke/", views.session_revoke, name="session_revoke"),
    path("sessions/others/revoke/", views.session_revoke_others, name="session_revoke_others"),
]
