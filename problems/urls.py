from django.urls import path

from problems import views

app_name = "problems"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("raise/", views.raise_from_incidents, name="raise"),
    path("kpis/", views.kpis, name="kpis"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/analysis/", views.analysis, name="analysis"),
    path("<str:number>/take/", views.take, name="take"),
    path("<str:number>/assign/", views.assign, name="assign"),
    path("<str:number>/status/", views.transition, name="transition"),
    path("<str:number>/comment/", views.comment, name="comment"),
    path("<str:number>/incidents/", views.link_incidents, name="link_incidents"),
    path("<str:number>/incidents/<id:incident_id>/unlink/", views.unlink_incident, name="unlink"),
]
