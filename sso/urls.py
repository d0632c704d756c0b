"""Where providers send people back: /sso/oidc/<provider id>/login/callback/ (OpenID Connect)
and /sso/saml/<organisation>/acs/ (SAML; its metadata at /sso/saml/<organisation>/metadata/).
The URL names are allauth's, so its code finds them."""

from django.urls import path

from sso import views

urlpatterns = [
    path("oidc/<str:provider_id>/login/", views.oidc_login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        views.oidc_callback,
        name="openid_connect_callback",
    ),
    path("saml/<str:organization_slug>/login/", views.saml_login, name="saml_login"),
    path("saml/<str:organization_slug>/acs/", views.saml_acs, name="saml_acs"),
    path("saml/<str:organization_slug>/acs/finish/", views.saml_finish_acs, name="saml_finish_acs"),
    path("saml/<str:organization_slug>/sls/", views.saml_sls, name="saml_sls"),
    path("saml/<str:organization_slug>/metadata/", views.saml_metadata, name="saml_metadata"),
]
