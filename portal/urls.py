from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.report, name="report"),
    path("incidents/<str:number>/", views.incident, name="incident"),
    path("incidents/<str:number>/reopen/", views.reopen, name="reopen"),
]
