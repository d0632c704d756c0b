from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("kpis/", views.kpis, name="kpis"),
    path("teams/", views.teams, name="teams"),
    path("data/<slug:key>/", views.panel_data, name="data"),
    path("reports/", views.reports, name="reports"),
    path("reports/<id:pk>/delete/", views.unsubscribe, name="unsubscribe"),
]
