from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth_token"),
    path("me/", views.MeView.as_view(), name="me"),
]
