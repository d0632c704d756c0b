"""/api/v1/dashboards/ (mounted from servicedesk.urls' `api_v1` list)."""

from django.urls import path

from dashboards.api import views

urlpatterns = [
    path("dashboards/", views.PanelList.as_view(), name="dashboard-panels"),
    path("dashboards/<slug:key>/", views.PanelDetail.as_view(), name="dashboard-panel"),
]
