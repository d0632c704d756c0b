"""Mounted from servicedesk.urls' `api_v1` list."""

from django.urls import path

from majorincidents.api import views

urlpatterns = [
    path("status/", views.StatusListView.as_view(), name="status-list"),
    path("status/<id:pk>/", views.StatusDetailView.as_view(), name="status-detail"),
    path(
        "major-incidents/<str:number>/updates/",
        views.UpdatesView.as_view(),
        name="major-incident-updates",
    ),
]
